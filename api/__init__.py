"""provnet: api package."""
