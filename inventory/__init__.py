"""provnet: inventory package."""
