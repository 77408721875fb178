"""provnet: tsdb package."""
