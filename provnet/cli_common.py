"""What several CLI command groups share: settings plus the store, with a clear error."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from provnet.config.errors import ConfigError
from provnet.inventory.errors import InventoryError

if TYPE_CHECKING:
    from provnet.config.settings import Settings
    from provnet.inventory.store import Store


def open_settings_store(config: Path | None, state_dir: Path | None) -> tuple[Settings, Store]:
    """The settings and the opened store; a bad file or store is exit code 2 with the reason."""
    from provnet.config.settings import load_settings
    from provnet.inventory.store import open_store

    try:
        settings = load_settings(config, state_dir=state_dir)
        return settings, open_store(settings.sql_url())
    except (ConfigError, InventoryError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
