"""The demo province: real An Giang units, synthetic network and geometry."""
