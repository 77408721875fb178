"""Exception root of the pollers package (device failures are results, not exceptions)."""


class PollerError(Exception):
    """A poller could not be set up or used (bad target, bad response shape)."""
