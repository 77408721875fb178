"""``provnet history ...``: recompute rollups from raw samples after an outage."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from provnet.config.errors import ConfigError
from provnet.tsdb.errors import TsdbError

if TYPE_CHECKING:
    from provnet.config.settings import Settings
    from provnet.pollers.rebuild import RebuildReport

history_app = typer.Typer(no_args_is_help=True, help="History: rollups and retention")
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", exists=True, dir_okay=False,
                                                 help="YAML settings file")]
StateOpt = Annotated[Path | None, typer.Option("--state-dir", help="where data lives")]


def _running_managed(state_dir: Path) -> str | None:
    """URL of the managed influxd of a running provnet under ``state_dir``, if any."""
    try:
        pid = int((state_dir / "influxd.pid").read_text().strip())
        os.kill(pid, 0)
        port = int(json.loads((state_dir / "influxd.ports.json").read_text())["http"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def influx_url(settings: Settings) -> Iterator[str]:
    """The configured URL, the running managed influxd's, or one started for this command."""
    from provnet.tsdb.managed import ManagedInfluxd

    if settings.influx.url:
        yield settings.influx.url.rstrip("/")
        return
    url = _running_managed(settings.state_dir)
    if url:
        yield url
        return
    with ManagedInfluxd(settings.state_dir, settings.influx.influxd_binary, auth=True) as db:
        yield db.url


@history_app.command("rebuild")
def rebuild_cmd(
    from_: Annotated[str, typer.Option("--from", help="RFC 3339 or date (local time in tz)")],
    to: Annotated[str, typer.Option("--to", help="RFC 3339 or date (end, exclusive)")],
    config: ConfigOpt = None, state_dir: StateOpt = None,
) -> None:
    """Recompute the 5-minute and 1-hour rollups of a range from the raw samples."""
    from provnet.config.settings import load_settings
    from provnet.pollers.history import HistoryError, parse_time
    from provnet.pollers.rebuild import rebuild
    from provnet.tsdb.client import InfluxQLReader, api_for_version
    from provnet.tsdb.history import InfluxHistory
    from provnet.tsdb.influxd_auth import with_managed_credentials
    from provnet.tsdb.retention import apply_retention, rollup_writers

    try:
        settings = load_settings(config, state_dir=state_dir)
        tz = ZoneInfo(settings.history.timezone)
        start, end = int(parse_time(from_, tz)), int(parse_time(to, tz))
    except (ConfigError, HistoryError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    if end <= start:
        raise typer.BadParameter("--to must be after --from")
    if settings.tsdb.backend == "victoriametrics":
        _rebuild_victoria(settings, start, end)
        return
    cfg = with_managed_credentials(settings.influx, settings.state_dir)
    try:
        with influx_url(settings) as url:
            pw = cfg.password.get_secret_value() if cfg.password else None
            with InfluxQLReader(url, cfg.database, cfg.username, pw) as reader:
                version = reader.ping().version
                if api_for_version(version) == "v1" and cfg.write_api != "v2":
                    apply_retention(reader, cfg.database, settings.history)
                writers = rollup_writers(cfg, settings.history, url, version)
                try:
                    report = rebuild(InfluxHistory(reader), writers, start, end,
                                     progress=_progress)
                finally:
                    for w in writers.values():
                        w.close()
    except TsdbError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    _rebuilt(report)


def _progress(done: int, all_: int) -> None:
    typer.echo(f"  {done / 86400:.1f} / {all_ / 86400:.1f} days", err=True)


def _rebuilt(report: RebuildReport) -> None:
    points = report.points or {}
    typer.echo(f"rebuilt {points.get(300, 0)} 5-minute and {points.get(3600, 0)} 1-hour rollup "
               f"points from {report.raw_rows} raw samples")


def _rebuild_victoria(settings: Settings, start: int, end: int) -> None:
    """The same rebuild on VictoriaMetrics (a bucket written again is kept once: dedup)."""
    from provnet.pollers.rebuild import rebuild
    from provnet.tsdb.managed_vm import VictoriaStores

    try:
        stores = VictoriaStores.find_or_open(settings.tsdb.victoriametrics, settings.history,
                                             settings.state_dir)
    except TsdbError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    readers = stores.readers()
    writers = {w: stores.writer(w) for w in (300, 3600)}
    try:
        report = rebuild(readers[0], writers, start, end, progress=_progress)
    except TsdbError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        for w in writers.values():
            w.close()
        for r in {id(r): r for r in readers.values()}.values():
            r.close()
        stores.stop()  # only the servers started for this command
    _rebuilt(report)
