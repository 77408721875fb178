"""``provnet alerts ...``: list incidents and alerts, acknowledge, silence, history, test-notify.

Works on the state directory's database directly, with or without the service running.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from provnet.alerts.errors import AlertsError
from provnet.config.errors import ConfigError
from provnet.inventory.errors import InventoryError

if TYPE_CHECKING:
    from provnet.config.settings import Settings
    from provnet.inventory.store import Store

alerts_app = typer.Typer(no_args_is_help=True, help="alerts and incidents")
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", exists=True, dir_okay=False,
                                                 help="YAML settings file")]
StateOpt = Annotated[Path | None, typer.Option("--state-dir", help="where data lives")]


def _when(t: float | None) -> str:
    if t is None:
        return "-"
    return dt.datetime.fromtimestamp(t).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _settings(config: Path | None, state_dir: Path | None) -> Settings:
    from provnet.config.settings import load_settings

    try:
        return load_settings(config, state_dir=state_dir)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _store(config: Path | None, state_dir: Path | None) -> tuple[Settings, Store]:
    from provnet.inventory.store import open_store

    settings = _settings(config, state_dir)
    try:
        return settings, open_store(settings.sql_url())
    except InventoryError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


@alerts_app.command("list")
def list_cmd(config: ConfigOpt = None, state_dir: StateOpt = None,
             status: Annotated[str | None, typer.Option(help="open|acknowledged|resolved")] = None,
             district: Annotated[str | None, typer.Option(help="district code")] = None,
             alerts: Annotated[bool, typer.Option("--alerts", help="list alerts instead")
                               ] = False,
             limit: int = 50) -> None:
    """Incidents (or alerts), newest first."""
    from provnet.alerts import ops

    _, store = _store(config, state_dir)
    with store.session() as s:
        if alerts:
            total, rows = ops.list_alerts(s, district=district, limit=limit)
            for a in rows:
                flags = ("F" if a.flapping else "-") + ("S" if a.suppressed else "-")
                typer.echo(f"{a.id:>6} {a.state:<9} {flags} {a.severity:<8} {a.rule:<20} "
                           f"{a.entity:<14} {a.site or '-':<12} inc={a.incident_id or '-'}")
        else:
            total, incs = ops.list_incidents(s, ops.IncidentFilter(status, district), limit)
            for i in incs:
                typer.echo(f"#{i.id:<5} {i.status:<12} {i.severity:<8} {_when(i.started_at)}  "
                           f"{i.title}  ({len(i.affected or [])} sites)")
        typer.echo(f"{total} in total")
    store.close()


@alerts_app.command()
def history(incident: int, config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """An incident's alerts and full history."""
    from provnet.alerts import ops

    _, store = _store(config, state_dir)
    try:
        with store.session() as s:
            inc = ops.get_incident(s, incident)
            typer.echo(f"#{inc.id} [{inc.status}] {inc.title}\n  cause: {inc.root_cause}")
            for a in inc.affected or []:
                typer.echo(f"  - {a['site_code']:<10} {a['site_name']} ({a.get('district')})")
            for a in ops.incident_alerts(s, inc.id):
                kind = "child" if a.suppressed else "root "
                typer.echo(f"  {kind} {a.rule} {a.entity} {a.state}"
                           f"{' flapping' if a.flapping else ''}")
            for e in ops.history(s, inc.id):
                typer.echo(f"  {_when(e.time)} {e.kind:<15} {e.detail}")
    except AlertsError as exc:
        raise _fail(exc) from exc
    finally:
        store.close()


@alerts_app.command()
def ack(incident: int, owner: Annotated[str, typer.Option(help="who takes it")],
        expires: Annotated[str | None, typer.Option(help="e.g. 30m, 2h")] = None,
        comment: str = "", config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """Acknowledge an incident (escalation pauses until it expires)."""
    from provnet.alerts import ops
    from provnet.alerts.notes import notification
    from provnet.alerts.rules import parse_duration

    settings, store = _store(config, state_dir)
    try:
        seconds = parse_duration(expires) if expires else None
        from provnet.alerts.changes import recent_changes

        with store.session() as s:
            inc, n = ops.acknowledge(s, incident, owner, comment, seconds, time.time())
            changes = recent_changes(s, inc, time.time(),
                                     settings.alerts.config_change_window_s)
        from provnet.alerts.notify.outbox import Outbox

        Outbox(store, settings.alerts.notify).enqueue(
            notification(inc, "acknowledged", n, owner, settings.alerts.public_url,
                         changes=changes))
        typer.echo(f"#{incident} acknowledged by {owner}"
                   + (f" until {_when(time.time() + seconds)}" if seconds else ""))
    except (AlertsError, ValueError) as exc:
        raise _fail(exc) from exc
    finally:
        store.close()


@alerts_app.command()
def silence(duration: Annotated[str, typer.Option(help="e.g. 2h")],
            by: Annotated[str, typer.Option("--by", help="who")],
            site: str | None = None, district: str | None = None, device: str | None = None,
            rule: str | None = None, comment: str = "", config: ConfigOpt = None,
            state_dir: StateOpt = None) -> None:
    """Silence notifications matching site/district/device/rule from now on."""
    from provnet.alerts import ops
    from provnet.alerts.rules import parse_duration

    _, store = _store(config, state_dir)
    try:
        now = time.time()
        with store.session() as s:
            row = ops.add_silence(s, site, district, device, rule, now,
                                  now + parse_duration(duration), by, comment)
            typer.echo(f"silence {row.id} until {_when(row.ends_at)}")
    except (AlertsError, ValueError) as exc:
        raise _fail(exc) from exc
    finally:
        store.close()


@alerts_app.command("test-notify")
def test_notify(config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """Send one test notification through every configured channel; print each outcome."""
    from provnet.alerts.notify.outbox import Outbox
    from provnet.alerts.notify.testnotify import send_test_notification

    settings, store = _store(config, state_dir)
    try:
        outbox = Outbox(store, settings.alerts.notify)
        if not outbox.channels:
            typer.echo("no notification channel is enabled (alerts.notify.*.enabled)")
            raise typer.Exit(1)
        records = asyncio.run(send_test_notification(outbox))
        failed = False
        for r in records:
            typer.echo(f"{r.channel:<14} {r.status:<10} {r.last_error or ''}")
            failed |= r.status != "delivered"
        if failed:
            raise typer.Exit(1)
    finally:
        store.close()
