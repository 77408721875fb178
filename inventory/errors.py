"""Exception root of the inventory package."""


class InventoryError(Exception):
    """The inventory store could not be opened, migrated or queried."""


class ImportRowError(InventoryError):
    """A row of an import file is malformed; names the file and line."""

    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(f"{source}:{line}: {message}")
        self.source = source
        self.line = line
