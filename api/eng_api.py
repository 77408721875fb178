"""Routes the engineer's pages need beyond the history API:

* ``GET /api/v1/links/{link_id}/optics``: both ends' optical levels now and over a period;
* ``GET /api/v1/devices/{device_id}/optics``: a device's transceivers now;
* ``GET /api/v1/links/{link_id}/availability``, ``GET /api/v1/communes/{code}/availability``:
  the availability report's entry of one link or commune (same figures, a fraction of the
  time: ``alerts/entity_availability.py``).

The live reading (with the transceiver's own thresholds) comes from the live state; the
history of ``rx_dbm``/``tx_dbm`` from the rollups (the same resolution choice as every history
route). Without a history store the answer still has the live readings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query

from provnet.alerts.entity_availability import commune_availability, link_availability
from provnet.alerts.errors import InvalidInput
from provnet.api.history import TimeQ, Tz, _range, _tz
from provnet.inventory.queries import LinkRecord
from provnet.inventory.store import Store
from provnet.pollers.history import HistoryError, iso
from provnet.pollers.history import to_json as series_json
from provnet.pollers.history_query import HistorySource
from provnet.pollers.link_optics import port_tag, reading_for, reading_view
from provnet.pollers.live import LiveState
from provnet.tsdb.errors import TsdbError
from provnet.tsdb.measurements import OPTICS

METRICS = ("rx_dbm", "tx_dbm")


def eng_api_router(store: Store, live: LiveState, src: HistorySource | None,
                   links: Callable[[], list[LinkRecord]]) -> APIRouter:
    """The routes over the live state and (when there is one) the history source."""
    r = APIRouter(tags=["history"])

    def availability(kind: str, fn: Callable[..., dict[str, object] | None], key: object,
                     from_: str | None, to: str | None, tz: str) -> dict[str, Any]:
        if src is None:
            raise HTTPException(503, "no history store: availability is computed from it")
        zone = _tz(tz)
        try:
            start, end = _range(from_, to, zone)
            with store.session() as s:
                entry = fn(s, src.readers[300], src.sources[300], key, int(start), int(end))
        except (HistoryError, InvalidInput) as exc:
            raise HTTPException(400, str(exc)) from exc
        except TsdbError as exc:
            raise HTTPException(503, f"history store unavailable: {exc}") from exc
        if entry is None:
            raise HTTPException(404, f"no {kind} {key}" + (
                " with an office device" if kind == "commune" else ""))
        return {"from": iso(start, zone), "to": iso(end, zone), "tz": str(zone.key),
                "resolution": "300s", **entry}

    @r.get("/api/v1/links/{link_id}/availability",
           responses={404: {"description": "no such link"}, 400: {"description": "bad period"},
                      503: {"description": "history store unavailable"}})
    def link_avail(link_id: Annotated[int, Path(ge=0, le=2**31 - 1)],
                   from_: Annotated[TimeQ, Query(alias="from")] = None, to: TimeQ = None,
                   tz: Tz = "Asia/Ho_Chi_Minh") -> dict[str, Any]:
        """The availability report's entry of one link (up, down, maintenance, no data, both
        availabilities, incidents, MTTR, MTBF) over ``from``..``to`` (default 24 h)."""
        return availability("link", link_availability, link_id, from_, to, tz)

    @r.get("/api/v1/communes/{code}/availability",
           responses={404: {"description": "no such commune with an office device"},
                      400: {"description": "bad period"},
                      503: {"description": "history store unavailable"}})
    def commune_avail(code: Annotated[str, Path(max_length=10)],
                      from_: Annotated[TimeQ, Query(alias="from")] = None, to: TimeQ = None,
                      tz: Tz = "Asia/Ho_Chi_Minh") -> dict[str, Any]:
        """The availability report's entry of one commune (up while one of its offices
        reaches the core over links that are up) over ``from``..``to`` (default 24 h)."""
        return availability("commune", commune_availability, code, from_, to, tz)

    @r.get("/api/v1/links/{link_id}/optics",
           responses={404: {"description": "no such link"},
                      400: {"description": "bad period"},
                      503: {"description": "history store unavailable"}})
    def link_optics(link_id: Annotated[int, Path(ge=0, le=2**31 - 1)],
                    from_: Annotated[TimeQ, Query(alias="from")] = None, to: TimeQ = None,
                    tz: Tz = "Asia/Ho_Chi_Minh") -> dict[str, Any]:
        """Each end's transceiver: the latest Rx/Tx with its thresholds, and the Rx/Tx history
        (min/mean/max per step) over ``from``..``to`` (default the last 24 h)."""
        rec = next((x for x in links() if x.id == link_id), None)
        if rec is None:
            raise HTTPException(404, f"no link with id {link_id}")
        zone = _tz(tz)
        try:
            start, end = _range(from_, to, zone)
        except HistoryError as exc:
            raise HTTPException(400, str(exc)) from exc
        ends, resolution = [], None
        for side, dev_id, dev, ifindex, ifname in (
                ("a", rec.a_device_id, rec.a_device, rec.a_ifindex, rec.a_ifname),
                ("z", rec.z_device_id, rec.z_device, rec.z_ifindex, rec.z_ifname)):
            state = live.device(dev_id)
            reading = reading_for(state.optics if state else (), ifindex, ifname)
            port = port_tag(reading, ifindex, ifname)
            series: dict[str, list[dict[str, object]]] = {m: [] for m in METRICS}
            if src is not None:
                try:
                    res, out = src.series(OPTICS, {"device": dev, "ifname": port}, METRICS,
                                          start, end, None)
                except HistoryError as exc:
                    raise HTTPException(400, str(exc)) from exc
                except TsdbError as exc:
                    raise HTTPException(503, f"history store unavailable: {exc}") from exc
                series = series_json(out, zone)
                resolution = "raw" if res.width == 0 else f"{res.width}s"
            ends.append({"end": side, "device_id": dev_id, "device": dev, "ifname": ifname,
                         "port": port, "now": reading_view(reading), "series": series})
        return {"link": link_id, "from": iso(start, zone), "to": iso(end, zone),
                "tz": str(zone.key), "resolution": resolution, "ends": ends}

    @r.get("/api/v1/devices/{device_id}/optics", responses={404: {"description": "not polled"}})
    def device_optics(device_id: Annotated[int, Path(ge=0, le=2**31 - 1)]) -> dict[str, Any]:
        """The device's transceivers from its latest poll that read them: port, Rx/Tx and the
        transceiver's thresholds (empty when none was read; 404 when never polled)."""
        state = live.device(device_id)
        if state is None:
            raise HTTPException(404, f"device {device_id} has not been polled")
        items = [{"port": port_tag(o, o.ifindex, o.name), "ifindex": o.ifindex,
                  **(reading_view(o) or {})} for o in state.optics]
        return {"device_id": device_id, "items": items}

    return r
