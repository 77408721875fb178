"""Exception root of the maps package."""


class MapsError(Exception):
    """Geometry could not be built or read."""
