"""provnet: alerts package."""
