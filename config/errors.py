"""Exception root of the config package."""


class ConfigError(Exception):
    """Configuration could not be loaded or is invalid."""
