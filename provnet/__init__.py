"""provnet: provnet package."""
