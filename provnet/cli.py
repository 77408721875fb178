"""provnet's command line (Typer). Composition only: parse, build, run.

The command modules import what a command needs inside the command (FastAPI, SQLAlchemy,
the features, the 2025 geography), so that ``provnet --help`` and the small commands start in
about half a second instead of three (``tests/unit/test_cli_startup.py`` keeps it so)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import SecretStr

from provnet.alerts.errors import AlertsError
from provnet.cli_agent import agent_cmd
from provnet.cli_alerts import alerts_app
from provnet.cli_coverage import coverage_app
from provnet.cli_history import history_app
from provnet.cli_inventory import inventory_app
from provnet.cli_report import report_app
from provnet.cli_ssh import ssh_app
from provnet.cli_users import token_app, user_app
from provnet.config.errors import ConfigError
from provnet.config.settings import Settings, SnmpProfile, load_settings
from provnet.inventory.errors import InventoryError
from provnet.maps.errors import MapsError
from provnet.pollers.errors import PollerError
from provnet.simproc import SimulatorError
from provnet.statedir import PRIVATE_UMASK, private_state_dir
from provnet.tsdb.errors import TsdbError

if TYPE_CHECKING:  # the service and the demo load FastAPI, SQLAlchemy, the features: only
    # when ``serve``/``demo`` run, so that ``provnet --help`` and small commands start quickly
    from provnet.inventory.store import Store
    from provnet.service import Service

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="provnet: inventory and live monitoring of a province's telecom network")
app.add_typer(coverage_app, name="coverage")
app.add_typer(alerts_app, name="alerts")
app.add_typer(ssh_app, name="ssh")
app.add_typer(inventory_app, name="inventory")
app.add_typer(history_app, name="history")
app.add_typer(report_app, name="report")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.command("agent")(agent_cmd)
log = logging.getLogger("provnet")
DEMO_COMMUNITY = "provnet-demo"
#: package errors that stop ``serve``/``demo`` with exit code 1 and the reason in the log
#: (bad settings are exit code 2, from Typer's parameter check)
RUN_ERRORS: tuple[type[Exception], ...] = (
    InventoryError, TsdbError, PollerError, AlertsError, MapsError, SimulatorError, OSError)


@app.callback()
def _private_files() -> None:
    # every command: files it creates (SQLite, spool, known_hosts, exports) are 0600
    os.umask(PRIVATE_UMASK)


ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", exists=True, dir_okay=False,
                                                 help="YAML settings file")]
StateOpt = Annotated[Path | None, typer.Option("--state-dir", help="where data and logs live")]
LogFormatOpt = Annotated[str, typer.Option("--log-format", help="text, or json (one JSON "
                                                                "object per line)")]


def _logging(verbose: bool, log_format: str = "text") -> None:
    if log_format not in ("text", "json"):
        raise typer.BadParameter("text or json", param_hint="--log-format")
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")
    if log_format == "json":
        from provnet.logjson import use_json_logs
        use_json_logs()
    for noisy in ("httpx", "httpcore", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    # netmiko logs every byte of a CLI session at DEBUG (running configurations, secrets
    # included, before they are scrubbed): never below INFO, even with --verbose
    for raw in ("netmiko", "paramiko"):
        logging.getLogger(raw).setLevel(logging.INFO if verbose else logging.WARNING)


def _settings(config: Path | None, **overrides: object) -> Settings:
    try:
        return load_settings(config, **overrides)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _free_udp_port(host: str) -> int:
    from provnet.tsdb.ports import free_port
    return free_port(host, socket.SOCK_DGRAM)


def _open_seeded(settings: Settings) -> Store:
    from provnet.demo.seed import is_empty, seed_demo
    from provnet.inventory.store import open_store

    t0 = time.perf_counter()
    store = open_store(settings.sql_url())
    if is_empty(store):
        counts = seed_demo(store)
        log.info("demo province seeded in %.1f s: %d units, %d sites, %d routers, %d links, "
                 "%d BTS (%d sectors), %d fibre points (geometry and network are synthetic)",
                 time.perf_counter() - t0, counts["admin_unit"], counts["site"],
                 counts["device"], counts["link"], counts["bts"], counts["sector"],
                 counts["fibre_point"])
    return store


def _check_faults(store: Store, faults: list[str]) -> None:
    from provnet.inventory import queries
    from provnet.simulator.faults import parse_fault

    with store.session() as s:
        sites = {d.site_code for d in queries.devices(s)}
    for spec in faults:
        try:
            fault = parse_fault(spec)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--fault") from exc
        if fault.site not in sites:
            raise typer.BadParameter(f"{spec!r}: no router at site {fault.site!r} "
                                     "(e.g. UB-30544 for Thị trấn Tri Tôn)", param_hint="--fault")


def _nothing() -> None:
    return None


def _run(service: Service, store: Store, before_polling: Callable[[], None] = _nothing,
         cleanup: Callable[[], None] = _nothing) -> None:
    """Start InfluxDB, then ``before_polling``, then poll and serve; always clean up."""
    from provnet.features import attach_all

    try:
        service.start_influx()
        before_polling()
        service.load_plan()
        attach_all(service)
        asyncio.run(service.run())
    except KeyboardInterrupt:
        log.info("interrupted")
    finally:
        cleanup()
        service.close()
        store.close()
        log.info("stopped")


@app.command()
def demo(
    duration: Annotated[float | None, typer.Option(help="stop after this many seconds")] = None,
    port: Annotated[int, typer.Option(help="API port")] = 8000,
    host: Annotated[str, typer.Option(help="API address")] = "127.0.0.1",
    state_dir: StateOpt = None,
    fault: Annotated[list[str] | None, typer.Option(
        help="inject a fault, SITE:ACTION@SECONDS (ACTION: link-down, link-up, device-down, "
             "device-up, reboot), e.g. UB-30544:link-down@60; repeatable")] = None,
    interval: Annotated[float, typer.Option(help="poll interval, seconds")] = 10.0,
    config: ConfigOpt = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    log_format: LogFormatOpt = "text",
) -> None:
    """Run the simulated An Giang province, polled live, with the API on --port."""
    from provnet.demo.plan import build_plan
    from provnet.service import Service
    from provnet.simproc import SimulatorProcess

    _logging(verbose, log_format)
    base = _settings(config, state_dir=state_dir or Path(".provnet/demo"),
                     api={"host": host, "port": port}, poller={"interval_s": interval})
    private_state_dir(base.state_dir)
    try:
        store = _open_seeded(base)
        faults = list(fault or [])
        _check_faults(store, faults)
        sim_port = _free_udp_port("127.10.0.1")
        # the simulated routers send linkDown/linkUp/coldStart traps to our receiver
        traps = base.traps.model_copy(update={
            "port": _free_udp_port(base.traps.host),
            "communities": [*base.traps.communities, SecretStr(DEMO_COMMUNITY)]})
        settings = base.model_copy(update={"traps": traps, "snmp_profiles": {
            **base.snmp_profiles,
            "demo": SnmpProfile(community=SecretStr(DEMO_COMMUNITY), port=sim_port, timeout_s=1.0),
        }})
        with store.session() as s:
            plan = build_plan(s, sim_port, DEMO_COMMUNITY)
        trap_to = (traps.host, traps.port) if traps.enabled else None
        sim = SimulatorProcess(settings.state_dir, plan, faults, trap_to=trap_to)

        def start_simulator() -> None:
            sim.start()
            log.info("simulator: %d SNMP agents on 127.10.x.y:%d (log: %s)",
                     len(plan["devices"]), sim_port, sim.log_path)

        _run(Service(settings, store, duration, demo=True), store, start_simulator, sim.stop)
    except RUN_ERRORS as exc:
        log.error("%s", exc)
        raise typer.Exit(1) from exc


@app.command()
def serve(config: ConfigOpt = None, state_dir: StateOpt = None,
          duration: Annotated[float | None, typer.Option(help="stop after this many seconds")
                              ] = None,
          verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
          log_format: LogFormatOpt = "text",
          tls_cert: Annotated[Path | None, typer.Option(
              "--tls-cert", exists=True, dir_okay=False, help="serve HTTPS: certificate (PEM)")
          ] = None,
          tls_key: Annotated[Path | None, typer.Option(
              "--tls-key", exists=True, dir_okay=False, help="serve HTTPS: private key (PEM)")
          ] = None) -> None:
    """Run provnet on a real inventory (no simulator, no demo seed)."""
    from provnet.inventory.store import open_store
    from provnet.service import Service

    _logging(verbose, log_format)
    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("give both --tls-cert and --tls-key", param_hint="--tls-cert")
    settings = _settings(config, state_dir=state_dir)
    if tls_cert is not None:
        settings = settings.model_copy(update={"api": settings.api.model_copy(update={
            "tls_cert": tls_cert, "tls_key": tls_key})})
    private_state_dir(settings.state_dir)
    try:
        store = open_store(settings.sql_url())
        service = Service(settings, store, duration)
        service.settings_loader = lambda: load_settings(config, state_dir=state_dir)
        _run(service, store)
    except RUN_ERRORS as exc:
        log.error("%s", exc)
        raise typer.Exit(1) from exc


@app.command("seed-demo")
def seed_demo_cmd(config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """Create the inventory schema and load the demo province into an empty store."""
    _logging(False)
    from provnet.inventory import queries

    settings = _settings(config, state_dir=state_dir or Path(".provnet/demo"))
    store = _open_seeded(settings)
    with store.session() as s:
        typer.echo(queries.count_by_kind(s))


@app.command("show-config")
def show_config(config: ConfigOpt = None) -> None:
    """Print the effective settings (secrets as ***)."""
    typer.echo(_settings(config).model_dump_json(indent=2))


if __name__ == "__main__":
    app()
