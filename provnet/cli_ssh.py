"""``provnet ssh ...``: run a command on a device, back up configurations, read optics."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from provnet.config.errors import ConfigError
from provnet.inventory.errors import InventoryError
from provnet.pollers.ssh.errors import SshError

if TYPE_CHECKING:
    from provnet.config.settings import Settings

if TYPE_CHECKING:  # netmiko is imported only when an ssh command runs
    from provnet.pollers.ssh.collector import SshCollector
    from provnet.pollers.ssh.types import SshTarget
    from provnet.tsdb.points import Point

ssh_app = typer.Typer(no_args_is_help=True,
                      help="SSH: run commands, back up configurations, read optics")
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", exists=True, dir_okay=False,
                                                 help="YAML settings file")]
StateOpt = Annotated[Path | None, typer.Option("--state-dir", help="where data lives")]
DemoOpt = Annotated[bool, typer.Option("--demo", help="the running demo's devices and login "
                                                      "(state dir .provnet/demo)")]


def _settings(config: Path | None, state_dir: Path | None, demo: bool) -> Settings:
    from provnet.config.settings import load_settings

    if demo and state_dir is None:
        state_dir = Path(".provnet/demo")
    try:
        settings = load_settings(config, state_dir=state_dir)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if demo:
        from provnet.ssh_service import with_demo_credential

        settings = with_demo_credential(settings)
    return settings


def _targets(settings: Settings, device: str | None
             ) -> tuple[list[SshTarget], SshCollector]:
    """Targets (all, or the one named by hostname or id) and the collector."""
    from provnet.inventory.store import open_store
    from provnet.pollers.ssh.build import load_ssh_plan, make_collector

    try:
        collector = make_collector(settings)
        store = open_store(settings.sql_url())
    except (SshError, InventoryError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        plan = load_ssh_plan(store, settings, list(collector.platforms))
    finally:
        store.close()
    if device is None:
        return plan.targets, collector
    found = [t for t in plan.targets if device in (t.name, str(t.device_id))]
    if not found:
        collector.close()
        why = [m for m in plan.skipped if m.split(":")[0] == device]
        typer.echo(f"error: no SSH device {device!r}" + (f" ({why[0]})" if why else
                   " (unknown hostname/id, or no SSH endpoint/profile in the inventory)"),
                   err=True)
        raise typer.Exit(2)
    return found, collector


def _write_points(settings: Settings, points: list[Point]) -> None:
    """Send change events to a configured InfluxDB (a managed one is the service's own)."""
    if not points or not settings.influx.url:
        return
    from provnet.tsdb.client import InfluxQLReader, make_writer
    from provnet.tsdb.errors import TsdbError

    cfg = settings.influx
    try:
        pw = cfg.password.get_secret_value() if cfg.password else None
        with InfluxQLReader(cfg.url or "", cfg.database, cfg.username, pw) as reader:
            version = reader.ping().version
        writer = make_writer(cfg, cfg.url or "", version)
        try:
            writer.write(points)
        finally:
            writer.close()
    except TsdbError as exc:
        typer.echo(f"warning: configuration changes stored, but not sent to InfluxDB: {exc}",
                   err=True)


@ssh_app.command("run")
def run(device: Annotated[str, typer.Argument(help="hostname or device id")],
        command: Annotated[str, typer.Argument(help="CLI command, e.g. 'display version'")],
        config: ConfigOpt = None, state_dir: StateOpt = None, demo: DemoOpt = False) -> None:
    """Run one CLI command on one device and print its output."""
    logging.basicConfig(level=logging.WARNING)
    settings = _settings(config, state_dir, demo)
    (target,), collector = _targets(settings, device)
    try:
        res = collector.run_one(target, commands={"out": command})
    finally:
        collector.close()
    if not res.ok:
        typer.echo(f"error ({res.error_kind}): {res.error}", err=True)
        raise typer.Exit(1)
    typer.echo(res.outputs["out"])


@ssh_app.command("backup")
def backup(device: Annotated[str | None, typer.Argument(help="hostname or id; default all")
                             ] = None,
           config: ConfigOpt = None, state_dir: StateOpt = None, demo: DemoOpt = False) -> None:
    """Fetch, scrub and store running configurations now (a version only when changed)."""
    from provnet.inventory.store import open_store
    from provnet.tsdb import measurements

    logging.basicConfig(level=logging.WARNING)
    settings = _settings(config, state_dir, demo)
    from provnet.pollers.ssh import jobs

    targets, collector = _targets(settings, device)
    store = open_store(settings.sql_url())
    try:
        rep = asyncio.run(jobs.backup(collector, targets, store, {}))
    finally:
        collector.close()
        store.close()
    _write_points(settings, [p for p in rep.points if p.measurement == measurements.CONFIG_CHANGE])
    for o in rep.outcomes:
        if not o.ok:
            typer.echo(f"{o.device:<20} FAILED ({o.error_kind}): {o.error}")
        elif o.first:
            typer.echo(f"{o.device:<20} stored first version {o.version_id}")
        elif o.changed:
            typer.echo(f"{o.device:<20} CHANGED: version {o.version_id} "
                       f"(+{o.lines_added} -{o.lines_removed} lines)")
        else:
            typer.echo(f"{o.device:<20} unchanged (version {o.version_id})")
    if rep.failed:
        raise typer.Exit(1)


@ssh_app.command("optics")
def optics(device: Annotated[str | None, typer.Argument(help="hostname or id; default all")
                             ] = None,
           config: ConfigOpt = None, state_dir: StateOpt = None, demo: DemoOpt = False) -> None:
    """Read optical levels and interface errors now and print them (nothing is stored)."""
    logging.basicConfig(level=logging.WARNING)
    settings = _settings(config, state_dir, demo)
    from provnet.pollers.ssh import jobs

    targets, collector = _targets(settings, device)
    try:
        rep = asyncio.run(jobs.collect(collector, targets, {}))
    finally:
        collector.close()
    for p in rep.points:
        if p.measurement == "optics":
            f = p.fields
            typer.echo(f"{p.tags['device']:<16} {p.tags['ifname']:<26} rx {f.get('rx_dbm')!s:>7}"
                       f" dBm  tx {f.get('tx_dbm')!s:>6} dBm  "
                       f"rx range [{f.get('rx_low_dbm')}, {f.get('rx_high_dbm')}]")
    for o in rep.failed:
        typer.echo(f"{o.device:<16} FAILED ({o.error_kind}): {o.error}")
    if rep.failed:
        raise typer.Exit(1)
