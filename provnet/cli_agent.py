"""``provnet agent``: run a remote poller node (issue 16, docs/deploy.md)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from provnet.config.errors import ConfigError
from provnet.pollers.errors import PollerError
from provnet.statedir import private_state_dir

log = logging.getLogger("provnet.agent")


def agent_cmd(
    config: Annotated[Path, typer.Option("--config", "-c", exists=True, dir_okay=False,
                                         help="the node's settings file (YAML)")],
    state_dir: Annotated[Path, typer.Option(help="outbox and logs")] = Path(".provnet-agent"),
    duration: Annotated[float | None, typer.Option(help="stop after this many seconds")
                        ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run a poller node: poll the devices of its plan and publish to the local leaf."""
    from provnet.agent import main  # nats-py only for this command
    from provnet.config.cluster import load_agent_settings

    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_agent_settings(config)
        private_state_dir(state_dir)
        main(settings, state_dir, duration)
    except (ConfigError, PollerError) as exc:
        log.error("%s", exc)
        raise typer.Exit(1) from exc
