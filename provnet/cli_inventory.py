"""``provnet inventory ...``: import and export the network (CSV per kind or one YAML
document), load administrative units from ``vietnamadminunits``.

Exit codes: 0 done (or nothing to do), 1 the input has errors (all listed, nothing written),
2 bad settings or an unusable store.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from provnet.config.errors import ConfigError
from provnet.inventory.errors import InventoryError

if TYPE_CHECKING:
    from provnet.inventory.importer import ImportPlan
    from provnet.inventory.store import Store

inventory_app = typer.Typer(no_args_is_help=True,
                            help="Your own network: import, export, administrative units")

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", exists=True, dir_okay=False,
                                                 help="YAML settings file")]
StateOpt = Annotated[Path | None, typer.Option("--state-dir", help="where data and logs live")]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="show the changes, write nothing")]
PruneOpt = Annotated[bool, typer.Option(
    "--prune", help="remove objects of the given kinds that the files do not list")]
ActorOpt = Annotated[str, typer.Option("--actor", help="who imports (kept in the audit trail)")]


def _open(config: Path | None, state_dir: Path | None) -> Store:
    from provnet.config.settings import load_settings
    from provnet.inventory.store import open_store

    try:
        settings = load_settings(config, state_dir=state_dir)
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        return open_store(settings.sql_url())
    except (ConfigError, InventoryError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _poller_groups(config: Path | None, state_dir: Path | None) -> list[str]:
    """The centre's ``cluster.groups`` names (a ``poller_group`` must be one of them)."""
    from provnet.config.settings import load_settings

    try:
        settings = load_settings(config, state_dir=state_dir)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    return [g.name for g in settings.cluster.groups]


def _with_store(config: Path | None, state_dir: Path | None,
                work: Callable[[Store], ImportPlan | None]) -> ImportPlan | None:
    """Run ``work`` on the store; an inventory error is exit code 2; the store is closed."""
    store = _open(config, state_dir)
    try:
        return work(store)
    except InventoryError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        store.close()


def _report(plan: ImportPlan, dry_run: bool, verbose: bool) -> None:
    from provnet.inventory.transfer import describe

    if not plan.ok:
        for issue in plan.issues:
            typer.echo(str(issue), err=True)
        typer.echo(f"{len(plan.issues)} error(s): nothing was written", err=True)
        raise typer.Exit(1)
    for line in describe(plan, verbose=verbose or dry_run):
        typer.echo(line)
    changed = any(plan.diff.values())
    if dry_run:
        typer.echo("dry run: nothing was written")
    elif changed:
        typer.echo("imported in one transaction")
    else:
        typer.echo("no change: the store already holds this")


@inventory_app.command("import")
def import_cmd(paths: Annotated[list[Path], typer.Argument(
        help="CSV files (sites.csv, devices.csv, ...), YAML documents or directories")],
        dry_run: DryOpt = False, prune: PruneOpt = False, actor: ActorOpt = "cli",
        verbose: Annotated[bool, typer.Option("--verbose", "-v", help="list every change")
                           ] = False,
        config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """Upsert the inventory from files by natural key, in one transaction; every error of
    every file is listed as file:line:column: reason and then nothing is written."""
    from provnet.inventory.transfer import import_files

    groups = _poller_groups(config, state_dir)
    plan = _with_store(config, state_dir, lambda store: import_files(
        store, paths, prune=prune, dry_run=dry_run, actor=actor, poller_groups=groups))
    assert plan is not None
    _report(plan, dry_run, verbose)


@inventory_app.command("export")
def export_cmd(directory: Annotated[Path, typer.Argument(help="directory to write into")],
               fmt: Annotated[str, typer.Option("--format", help="csv or yaml")] = "csv",
               config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """Write the whole inventory: one CSV file per kind, or inventory.yaml."""
    from provnet.inventory.transfer import export

    if fmt not in ("csv", "yaml"):
        raise typer.BadParameter("format must be csv or yaml", param_hint="--format")
    store = _open(config, state_dir)
    try:
        for path in export(store, directory, fmt):
            typer.echo(str(path))
    finally:
        store.close()


@inventory_app.command("units")
def units_cmd(province: Annotated[str, typer.Option("--province", help="province code, e.g. 89")],
              generation: Annotated[str, typer.Option(help="legacy or 2025")] = "legacy",
              dry_run: DryOpt = False, config: ConfigOpt = None,
              state_dir: StateOpt = None) -> None:
    """Load a province's administrative units from vietnamadminunits (offline data)."""
    from provnet.inventory.transfer import import_rows
    from provnet.units_source import unit_rows

    if generation not in ("legacy", "2025"):
        raise typer.BadParameter("generation must be legacy or 2025", param_hint="--generation")
    try:
        rows = unit_rows(province, generation)
    except LookupError as exc:
        raise typer.BadParameter(str(exc), param_hint="--province") from exc
    plan = _with_store(config, state_dir, lambda store: import_rows(
        store, rows, [], dry_run=dry_run, actor="units",
        label=f"vietnamadminunits {province} {generation}"))
    assert plan is not None
    _report(plan, dry_run, False)


@inventory_app.command("sync-netbox")
def sync_netbox_cmd(
        url: Annotated[str, typer.Option("--url", help="NetBox base URL, e.g. https://netbox")],
        token_env: Annotated[str, typer.Option(
            "--token-env", help="environment variable holding the API token")] = "NETBOX_TOKEN",
        filters: Annotated[list[str] | None, typer.Option(
            "--filter", help="NetBox filter for sites, devices, circuits, e.g. tag=provnet")
                           ] = None,
        full: Annotated[bool, typer.Option("--full", help="read everything, not only changes")
                        ] = False,
        dry_run: DryOpt = False, verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
        config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """Bring sites, active devices, interfaces, cables and circuits from NetBox (incremental
    after the first run; deletions from NetBox's change log)."""

    import os

    from provnet.config.settings import load_settings as _load
    from provnet.inventory.netbox_sync import PynetboxSource, sync

    token = os.environ.get(token_env)
    if not token:
        raise typer.BadParameter(f"environment variable {token_env} is not set",
                                 param_hint="--token-env")
    flt: dict[str, str] = {}
    for item in filters or []:
        k, sep, v = item.partition("=")
        if not sep or not k.strip():
            raise typer.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--filter")
        flt[k.strip()] = v.strip()
    def run(store: Store) -> ImportPlan:
        settings = _load(config, state_dir=state_dir)
        return sync(store, PynetboxSource(url, token), settings.state_dir, url, flt,
                    dry_run=dry_run, full=full,
                    poller_groups=[g.name for g in settings.cluster.groups])

    plan = _with_store(config, state_dir, run)
    assert plan is not None
    _report(plan, dry_run, verbose)


@inventory_app.command("discover")
def discover_cmd(
        seeds: Annotated[list[str], typer.Argument(help="management addresses, core first")],
        community: Annotated[str | None, typer.Option(
            help="SNMPv2c community (default: the --snmp-profile's)")] = None,
        snmp_profile: Annotated[str, typer.Option(
            help="settings SNMP profile for access, and given to new devices")] = "default",
        port: Annotated[int | None, typer.Option(help="SNMP port")] = None,
        site: Annotated[str | None, typer.Option(
            help="site code for devices not yet in the inventory (else only links)")] = None,
        follow: Annotated[int, typer.Option(
            min=0, help="also walk neighbours' management addresses, up to N hops")] = 0,
        dry_run: DryOpt = False,
        yes: Annotated[bool, typer.Option("--yes", "-y", help="apply without asking")] = False,
        config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """Walk the seeds' system group, ifTable and LLDP-MIB (else CISCO-CDP-MIB) neighbours, and
    with ``--follow N`` their neighbours' management addresses up to N hops; propose the
    devices, interfaces and links between them as an import diff, applied on confirmation."""
    import asyncio

    from provnet.config.settings import load_settings as _load
    from provnet.inventory.transfer import describe, import_rows
    from provnet.pollers.fastv2c import FastV2cTransport
    from provnet.pollers.lldp import DeviceFacts, discover, discovery_rows
    from provnet.pollers.types import SnmpTarget

    settings = _load(config, state_dir=state_dir)
    prof = settings.snmp_profiles.get(snmp_profile)
    secret = community or (prof.community.get_secret_value() if prof else None)
    if secret is None:
        raise typer.BadParameter(f"no SNMP profile {snmp_profile!r}: give --community")
    udp = port or (prof.port if prof else 161)
    timeout = prof.timeout_s if prof else 2.0

    async def walk_all() -> list[DeviceFacts]:
        transport = FastV2cTransport()
        try:
            return await discover(
                transport, lambda i, s: SnmpTarget(i, s, s, udp, secret, timeout, 1), seeds,
                follow)
        finally:
            transport.close()

    facts = asyncio.run(walk_all())
    for f in facts:
        if f.error:
            typer.echo(f"{f.address}: no answer ({f.error})")
            continue
        typer.echo(f"{f.address}: {f.sys_name} ({f.sys_descr[:60]}), {len(f.ifnames)} "
                   f"interfaces, {len(f.neighbours)} LLDP neighbours")
        for nb in f.neighbours:
            typer.echo(f"    {nb.local_port} -> {nb.remote_name} {nb.remote_port}")
    rows = discovery_rows(facts, site, snmp_profile=snmp_profile if prof else "")
    def run(store: Store) -> ImportPlan | None:
        plan = import_rows(store, rows, [], dry_run=True, actor="discovery", label="lldp")
        if plan.ok and not dry_run and any(plan.diff.values()):
            for line in describe(plan):
                typer.echo(line)
            if not yes and not typer.confirm("apply these changes?"):
                typer.echo("nothing was written")
                return None
            plan = import_rows(store, rows, [], actor="discovery", label="lldp")
        return plan

    plan = _with_store(config, state_dir, run)
    if plan is not None:
        _report(plan, dry_run, True)
