"""provnet: pollers package."""
