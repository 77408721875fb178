"""SSH collection (netmiko in worker threads): optics, interface state, running configuration."""
