"""Exception root of the maps package."""


class MapsError(Exception):
    """Geometry could not be built or read."""


class ImportFormatError(MapsError):
    """An import file is malformed; ``where`` names the line or feature."""

    def __init__(self, source: str, where: str, reason: str) -> None:
        super().__init__(f"{source}: {where}: {reason}")
        self.source = source
        self.where = where
        self.reason = reason
