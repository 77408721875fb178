"""provnet: maps package."""
