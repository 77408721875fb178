"""History, percentile, status timeline and availability routes (served from rollups)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from provnet.alerts.errors import InvalidInput
from provnet.alerts.monthly import TEXT, html_to_pdf, render_period
from provnet.alerts.reports import availability, to_csv
from provnet.inventory import queries
from provnet.inventory.queries import LinkRecord
from provnet.inventory.store import Store
from provnet.pollers.history import HistoryError, Resolution, SeriesOut, iso, parse_time
from provnet.pollers.history import to_csv as series_csv
from provnet.pollers.history import to_json as series_json
from provnet.pollers.history_query import DEVICE_METRICS, LINK_METRICS, HistorySource
from provnet.pollers.rollup import ROLLED
from provnet.tsdb.errors import TsdbError
from provnet.tsdb.measurements import IFSTATS

TimeQ = Annotated[str | None, Query(max_length=40, description=(
    "RFC 3339 with an offset (2026-11-01T00:00:00+07:00); without one, local time in tz"))]
Metrics = Annotated[str | None, Query(max_length=300, description="comma-separated metrics")]
Step = Annotated[str | None, Query(max_length=10, description="300, 5m, 1h, 1d, day, month")]
Tz = Annotated[str, Query(max_length=40, description="time zone of day/month boundaries")]
Fmt = Annotated[Literal["json", "csv"], Query(description="json or csv")]
DEFAULT_SPAN_S = 86400.0


def _tz(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise HTTPException(400, f"unknown time zone {name!r}") from exc


def _range(frm: str | None, to: str | None, tz: ZoneInfo) -> tuple[float, float]:
    end = parse_time(to, tz) if to else time.time()
    start = parse_time(frm, tz) if frm else end - DEFAULT_SPAN_S
    if end <= start:
        raise HistoryError("'to' must be after 'from'")
    return start, end


def _metrics(text: str | None, default: tuple[str, ...]) -> list[str]:
    if not text:
        return list(default)
    return [m.strip() for m in text.split(",") if m.strip()]


def _answer(kind: str, ident: object, res: Resolution, series: dict[str, SeriesOut],
            start: float, end: float, tz: ZoneInfo, fmt: str) -> Any:
    if fmt == "csv":
        return Response(series_csv(series, tz), media_type="text/csv; charset=utf-8")
    return {kind: ident, "from": iso(start, tz), "to": iso(end, tz), "tz": str(tz.key),
            "resolution": "raw" if res.width == 0 else f"{res.width}s",
            "step": res.calendar or f"{res.step_s}s", "series": series_json(series, tz)}


def history_router(src: HistorySource, store: Store, availability_source: str,
                   links: Callable[[], list[LinkRecord]]) -> APIRouter:
    """The history routes around one :class:`HistorySource`."""
    r = APIRouter(tags=["history"])

    def guarded(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except (HistoryError, InvalidInput) as exc:
            raise HTTPException(400, str(exc)) from exc
        except TsdbError as exc:
            raise HTTPException(503, f"history store unavailable: {exc}") from exc

    def link(link_id: int) -> LinkRecord:
        for rec in links():
            if rec.id == link_id:
                return rec
        raise HTTPException(404, f"no link with id {link_id}")

    def device_name(device_id: int) -> str:
        with store.session() as s:
            for d in queries.devices(s):
                if d.id == device_id:
                    return d.hostname
        raise HTTPException(404, f"no device with id {device_id}")

    @r.get("/api/v1/links/{link_id}/history")
    def link_history(link_id: int, from_: Annotated[TimeQ, Query(alias="from")] = None,
                     to: TimeQ = None, metrics: Metrics = None, step: Step = None,
                     tz: Tz = "Asia/Ho_Chi_Minh", format: Fmt = "json") -> Any:
        """A link's rates, utilisation, errors and discards (seen from its A end)."""
        link(link_id)
        zone = _tz(tz)

        def run() -> Any:
            start, end = _range(from_, to, zone)
            res, series = src.series(IFSTATS, {"link": str(link_id), "end": "a"},
                                     _metrics(metrics, LINK_METRICS[:4]), start, end, step)
            return _answer("link", link_id, res, series, start, end, zone, format)
        return guarded(run)

    @r.get("/api/v1/devices/{device_id}/interfaces/{ifindex}/history")
    def interface_history(device_id: int, ifindex: int,
                          from_: Annotated[TimeQ, Query(alias="from")] = None,
                          to: TimeQ = None, metrics: Metrics = None, step: Step = None,
                          tz: Tz = "Asia/Ho_Chi_Minh", format: Fmt = "json") -> Any:
        """One interface's rates (any interface polled, on a link or not)."""
        name, zone = device_name(device_id), _tz(tz)

        def run() -> Any:
            start, end = _range(from_, to, zone)
            res, series = src.series(IFSTATS, {"device": name, "ifindex": str(ifindex)},
                                     _metrics(metrics, ROLLED[IFSTATS][:4]), start, end, step)
            return _answer("interface", f"{name}:{ifindex}", res, series, start, end, zone,
                           format)
        return guarded(run)

    @r.get("/api/v1/devices/{device_id}/history")
    def device_history(device_id: int, from_: Annotated[TimeQ, Query(alias="from")] = None,
                       to: TimeQ = None, metrics: Metrics = None, step: Step = None,
                       tz: Tz = "Asia/Ho_Chi_Minh", format: Fmt = "json") -> Any:
        """A device's CPU, memory, ICMP RTT and loss."""
        name, zone = device_name(device_id), _tz(tz)

        def run() -> Any:
            start, end = _range(from_, to, zone)
            res, series = src.device_series(name, _metrics(metrics, DEVICE_METRICS), start, end,
                                            step)
            return _answer("device", device_id, res, series, start, end, zone, format)
        return guarded(run)

    @r.get("/api/v1/communes/{code}/history")
    def commune_history(code: str, from_: Annotated[TimeQ, Query(alias="from")] = None,
                        to: TimeQ = None, metrics: Metrics = None, step: Step = None,
                        tz: Tz = "Asia/Ho_Chi_Minh", format: Fmt = "json") -> Any:
        """A commune's links together: rates summed, utilisation averaged."""
        ids = [rec.id for rec in links() if rec.commune_code == code]
        if not ids:
            raise HTTPException(404, f"no link in commune {code!r}")
        zone = _tz(tz)

        def run() -> Any:
            start, end = _range(from_, to, zone)
            res, series = src.links_series(ids, _metrics(metrics, LINK_METRICS[:2]), start, end,
                                           step)
            out = _answer("commune", code, res, series, start, end, zone, format)
            if isinstance(out, dict):
                out["links"] = ids
            return out
        return guarded(run)

    @r.get("/api/v1/links/{link_id}/percentile")
    def link_percentile(link_id: int, from_: Annotated[TimeQ, Query(alias="from")] = None,
                        to: TimeQ = None, p: Annotated[float, Query(gt=0, le=100)] = 95.0,
                        tz: Tz = "Asia/Ho_Chi_Minh") -> Any:
        """The p-th percentile (default 95th) of the 5-minute mean rates, in, out and max."""
        link(link_id)
        zone = _tz(tz)

        def run() -> Any:
            start, end = _range(from_, to, zone)
            return src.percentile(link_id, start, end, p)
        return guarded(run)

    @r.get("/api/v1/links/{link_id}/timeline")
    def link_timeline(link_id: int, from_: Annotated[TimeQ, Query(alias="from")] = None,
                      to: TimeQ = None, tz: Tz = "Asia/Ho_Chi_Minh") -> Any:
        """Up/down/unknown intervals with the reason, and the number of flaps."""
        link(link_id)
        zone = _tz(tz)

        def run() -> Any:
            start, end = _range(from_, to, zone)
            return src.timeline(link_id, start, end)
        return guarded(run)

    @r.get("/api/v1/reports/availability")
    def availability_report(
            level: Literal["link", "commune", "district", "province"] = "commune",
            from_: Annotated[TimeQ, Query(alias="from")] = None, to: TimeQ = None,
            tz: Tz = "Asia/Ho_Chi_Minh",
            format: Annotated[Literal["json", "csv", "pdf"], Query()] = "json",
            lang: Annotated[Literal["vi", "en"], Query(description="PDF language")] = "vi",
    ) -> Any:
        """Availability per entity: up, down, maintenance, no data; both availabilities,
        incidents, MTTR and MTBF, with the denominators stated (PDF: Vietnamese by default)."""
        zone = _tz(tz)

        def run() -> Any:
            start, end = _range(from_, to, zone)
            with store.session() as s:
                entries = availability(s, src.readers[300], availability_source, level,
                                       int(start), int(end),
                                       hourly=(src.readers[3600], src.sources[3600]))
            if format == "csv":
                return Response(to_csv(entries), media_type="text/csv; charset=utf-8")
            if format == "pdf":
                page = render_period(TEXT[lang]["title_any"], lang, {level: entries}, zone,
                                     start, end, time.time())
                return Response(html_to_pdf(page), media_type="application/pdf")
            return {"level": level, "from": iso(start, zone), "to": iso(end, zone),
                    "resolution": "300s", "items": entries}
        return guarded(run)

    return r
