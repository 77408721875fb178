"""``provnet report monthly YYYY-MM``: the department's availability report, frozen."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from provnet.cli_history import influx_url
from provnet.config.errors import ConfigError
from provnet.inventory.errors import InventoryError
from provnet.tsdb.errors import TsdbError

if TYPE_CHECKING:
    from provnet.config.settings import Settings

LEVELS = ("province", "district", "commune")
report_app = typer.Typer(no_args_is_help=True, help="Reports: monthly availability")
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", exists=True, dir_okay=False,
                                                 help="YAML settings file")]
StateOpt = Annotated[Path | None, typer.Option("--state-dir", help="where data lives")]


def compute_levels(settings: Settings, url: str, start: int, end: int
                   ) -> dict[str, list[dict[str, object]]]:
    """Province, district and commune figures of [start, end)."""
    from provnet.alerts.reports import availability_levels
    from provnet.inventory.store import open_store
    from provnet.tsdb.client import InfluxQLReader
    from provnet.tsdb.history import InfluxHistory
    from provnet.tsdb.influxd_auth import with_managed_credentials
    from provnet.tsdb.retention import locations

    cfg = with_managed_credentials(settings.influx, settings.state_dir)
    pw = cfg.password.get_secret_value() if cfg.password else None
    store = open_store(settings.sql_url())
    try:
        with InfluxQLReader(url, cfg.database, cfg.username, pw) as reader:
            locs = locations(cfg, settings.history, reader.ping().version)
            hist = InfluxHistory(reader)
            with store.session() as s:
                return availability_levels(s, hist, locs[300].source, LEVELS, start, end,
                                           hourly=(hist, locs[3600].source))
    finally:
        store.close()


def _levels_victoria(settings: Settings, start: int, end: int
                     ) -> dict[str, list[dict[str, object]]]:
    """The same figures from VictoriaMetrics' 5-minute rollups."""
    from provnet.alerts.reports import availability_levels
    from provnet.inventory.store import open_store
    from provnet.tsdb.influxql import quote_ident
    from provnet.tsdb.managed_vm import VictoriaStores
    from provnet.tsdb.measurements import ROLLUP_1H, ROLLUP_5M

    stores = VictoriaStores.find_or_open(settings.tsdb.victoriametrics, settings.history,
                                         settings.state_dir)
    readers = stores.readers()
    store = open_store(settings.sql_url())
    try:
        with store.session() as s:
            return availability_levels(s, readers[300], quote_ident(ROLLUP_5M), LEVELS, start,
                                       end, hourly=(readers[3600], quote_ident(ROLLUP_1H)))
    finally:
        store.close()
        for r in {id(r): r for r in readers.values()}.values():
            r.close()
        stores.stop()  # only the servers started for this command


@report_app.command("monthly")
def monthly(month: Annotated[str, typer.Argument(help="YYYY-MM, e.g. 2026-11")],
            lang: Annotated[str, typer.Option(help="vi (default) or en")] = "vi",
            reissue: Annotated[bool, typer.Option(help="compute a new version (keeps the old)")
                               ] = False,
            config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """Issue (or return the frozen) monthly availability report, HTML and PDF."""
    from provnet.alerts.monthly import month_bounds, render
    from provnet.config.settings import load_settings
    from provnet.reports import ReportError, issue_monthly

    if lang not in ("vi", "en"):
        raise typer.BadParameter("vi or en", param_hint="--lang")
    try:
        settings = load_settings(config, state_dir=state_dir)
        tz = ZoneInfo(settings.history.timezone)
        start, end = month_bounds(month, tz)
    except (ConfigError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc

    def build(issued_at: float, version: int) -> str:
        if settings.tsdb.backend == "victoriametrics":  # its servers, not an influxd
            levels = _levels_victoria(settings, int(start), int(end))
        else:
            with influx_url(settings) as url:
                levels = compute_levels(settings, url, int(start), int(end))
        return render(month, lang, levels, tz, issued_at, version)

    try:
        out = issue_monthly(settings.state_dir, month, lang, reissue, build)
    except (ReportError, TsdbError, InventoryError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{'frozen' if out.frozen else 'issued'} version {out.version}\n"
               f"  {out.html}  sha256 {out.sha256_html}\n  {out.pdf}  sha256 {out.sha256_pdf}")
