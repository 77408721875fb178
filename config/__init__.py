"""provnet: config package."""
