"""HTTP API of alerts and incidents: ``/api/v1/alerts/...``. Bad input is a 4xx with a reason."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from sqlalchemy.orm import Session

from provnet.alerts import ops
from provnet.alerts.causes import incident_texts
from provnet.alerts.changes import DEFAULT_WINDOW_S, recent_changes
from provnet.alerts.errors import AlertNotFound, AlertsError, InvalidInput
from provnet.alerts.incidents import Enqueuer
from provnet.alerts.model import Alert, Incident, IncidentEvent, MaintenanceWindow, Silence
from provnet.alerts.notes import notification
from provnet.alerts.notify.codec import change_to_dict
from provnet.alerts.notify.types import ConfigChangeNote
from provnet.alerts.silences import window_active
from provnet.api import alert_schemas as sc
from provnet.api.auth import author, identity, require_district
from provnet.api.paging import IdCursor, ListLimit, keyset_page, list_slice
from provnet.api.params import Limit, Offset
from provnet.api.schemas import Page
from provnet.inventory import audit
from provnet.inventory.store import Store

Code = Annotated[str | None, Query(max_length=100)]
T = TypeVar("T")
Id = Annotated[int, Path(ge=0, le=2**31 - 1, description="id")]
Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"description": "no such id"}}
BAD: Responses = {400: {"description": "invalid content (the reason is in detail)"}}
CONFLICT: Responses = {409: {"description": "not possible in the current state"}}


def _ts(t: float | None) -> dt.datetime | None:
    return None if t is None else dt.datetime.fromtimestamp(t, dt.UTC)


def _alert(a: Alert) -> sc.AlertOut:
    started = _ts(a.started_at)
    assert started is not None
    return sc.AlertOut(id=a.id, rule=a.rule, entity=a.entity, severity=a.severity,
                       state=a.state, flapping=a.flapping, suppressed=a.suppressed,
                       value=a.value, site=a.site, district=a.district, device=a.device,
                       started_at=started, fired_at=_ts(a.fired_at),
                       resolved_at=_ts(a.resolved_at), incident_id=a.incident_id)


def _incident(s: Session, inc: Incident) -> sc.IncidentOut:
    ack = ops.latest_ack(s, inc.id) if inc.status == "acknowledged" else None
    started = _ts(inc.started_at)
    assert started is not None
    texts = incident_texts(inc.labels, inc.title, inc.root_cause)
    return sc.IncidentOut(
        id=inc.id, title=inc.title, root_cause=inc.root_cause, root=inc.group_key,
        title_en=texts.title["en"], root_cause_vi=texts.root_cause["vi"],
        root_site_code=inc.root_site_code, district=inc.district, severity=inc.severity,
        status=inc.status, started_at=started, resolved_at=_ts(inc.resolved_at),
        notified=inc.notified, silenced=inc.silenced, escalations=inc.escalations,
        acked_by=ack.owner if ack else None, ack_expires_at=_ts(ack.expires_at) if ack else None,
        affected=[sc.AffectedOut(**a) for a in inc.affected or []])


def _event(e: IncidentEvent) -> sc.EventOut:
    t = _ts(e.time)
    assert t is not None
    return sc.EventOut(time=t, kind=e.kind, alert_id=e.alert_id, actor=e.actor, detail=e.detail)


def _silence(x: Silence, now: float) -> sc.SilenceOut:
    start, end = _ts(x.starts_at), _ts(x.ends_at)
    assert start is not None and end is not None
    return sc.SilenceOut(id=x.id, site=x.site, district=x.district, device=x.device,
                         rule=x.rule, starts_at=start, ends_at=end, created_by=x.created_by,
                         comment=x.comment, active=x.starts_at <= now < x.ends_at)


def _window(w: MaintenanceWindow, now: float) -> sc.MaintenanceOut:
    try:
        active = window_active(w.rrule, w.dtstart, w.duration_s, now)
    except AlertsError:
        active = False
    return sc.MaintenanceOut(id=w.id, name=w.name, site=w.site, district=w.district,
                             device=w.device, rule=w.rule, rrule=w.rrule, dtstart=w.dtstart,
                             duration_s=w.duration_s, created_by=w.created_by,
                             comment=w.comment, active=active)


def alerts_router(store: Store, outbox: Enqueuer | None = None, base_url: str | None = None,
                  clock: Callable[[], float] = time.time,
                  config_window_s: float = DEFAULT_WINDOW_S) -> APIRouter:
    """Routes over ``store``; acknowledgements are notified through ``outbox`` if given.
    Incident details list configuration changes from ``config_window_s`` before the start."""
    r = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

    def run(fn: Callable[[Session], T]) -> T:
        try:
            with store.session() as s:
                return fn(s)
        except AlertNotFound as exc:
            raise HTTPException(404, str(exc)) from exc
        except InvalidInput as exc:
            raise HTTPException(400, str(exc)) from exc
        except AlertsError as exc:
            raise HTTPException(409, str(exc)) from exc

    @r.get("/incidents", response_model=Page[sc.IncidentOut])
    def incidents(request: Request, status: sc.IncidentStatus | None = None, district: Code = None,
                  site: Code = None,
                  severity: Annotated[str | None, Query(max_length=10)] = None,
                  limit: Limit = 50, offset: Offset = 0, cursor: IdCursor = None) -> object:
        """Incidents, newest first; filter by status, district, root site, severity.
        ``next``: the following page by cursor (the last incident's id)."""
        def go(s: Session) -> object:
            total, rows = ops.list_incidents(
                s, ops.IncidentFilter(status, district, site, severity), limit + 1, offset,
                before_id=cursor)
            return keyset_page(request, total, rows, [_incident(s, i) for i in rows[:limit]],
                               limit, offset, lambda i: i.id)
        return run(go)

    @r.get("/incidents/{incident_id}", response_model=sc.IncidentDetail, responses=NOT_FOUND)
    def incident(incident_id: Id, request: Request) -> object:
        """One incident: root alert, suppressed children and full history."""
        def go(s: Session) -> object:
            inc = ops.get_incident(s, incident_id)
            require_district(request, inc.district)
            base = _incident(s, inc).model_dump()
            changes = recent_changes(s, inc, clock(), config_window_s)
            return sc.IncidentDetail(
                **base, alerts=[_alert(a) for a in ops.incident_alerts(s, inc.id)],
                history=[_event(e) for e in ops.history(s, inc.id)],
                config_changes=[sc.ConfigChangeOut(**change_to_dict(c)) for c in changes])
        return run(go)

    @r.post("/incidents/{incident_id}/ack", response_model=sc.IncidentOut,
            responses={**BAD, **NOT_FOUND, **CONFLICT})
    def ack(incident_id: Id, body: sc.AckIn, request: Request) -> object:
        """Acknowledge an open incident (409 if resolved, 404 if unknown)."""
        who = identity(request)
        owner = who.name if who else body.owner  # the authenticated user, not free text

        def go(s: Session) -> tuple[sc.IncidentOut, Incident, int, tuple[ConfigChangeNote, ...]]:
            before = ops.get_incident(s, incident_id)
            require_district(request, before.district)
            status = before.status
            inc, n = ops.acknowledge(s, incident_id, owner, body.comment,
                                     body.expires_in_s, clock())
            audit.record(s, author(request), "incident.ack", f"incident {incident_id}",
                         {"status": status}, {"status": inc.status, "comment": body.comment,
                                              "expires_in_s": body.expires_in_s})
            return _incident(s, inc), inc, n, recent_changes(s, inc, clock(), config_window_s)
        out, inc, n, changes = run(go)
        if outbox is not None:
            outbox.enqueue(notification(inc, "acknowledged", n, owner, base_url,
                                        changes=changes))
        return out

    @r.get("/alerts", response_model=Page[sc.AlertOut])
    def alerts(request: Request, state: sc.AlertStateQ | None = None,
               rule: Annotated[str | None, Query(max_length=60)] = None,
               site: Code = None, district: Code = None, limit: Limit = 50,
               offset: Offset = 0, cursor: IdCursor = None) -> object:
        """Alerts, newest first; filter by state, rule, site, district. ``next``: the
        following page by cursor (the last alert's id)."""
        def go(s: Session) -> object:
            total, rows = ops.list_alerts(s, state, rule, site, district, limit + 1, offset,
                                          before_id=cursor)
            return keyset_page(request, total, rows, [_alert(a) for a in rows[:limit]],
                               limit, offset, lambda a: a.id)
        return run(go)

    @r.get("/silences", response_model=list[sc.SilenceOut])
    def silences(request: Request, response: Response, include_expired: bool = False,
                 limit: ListLimit = None, cursor: IdCursor = None) -> object:
        """Current and future silences (all with ``include_expired``), by id; with ``limit``
        the next page is in the ``Link`` header (``rel="next"``, by cursor)."""
        now = clock()
        rows = run(lambda s: [_silence(x, now) for x in ops.list_silences(s, include_expired,
                                                                          now)])
        return list_slice(request, response, rows, lambda x: x.id, limit, cursor)

    @r.post("/silences", response_model=sc.SilenceOut, status_code=201, responses=BAD)
    def add_silence(body: sc.SilenceIn, request: Request) -> object:
        """Silence matching incidents (site, district, device, rule) for a while."""
        require_district(request, body.district)
        who = identity(request)
        now = clock()
        start = sc.utc_seconds(body.starts_at) if body.starts_at else now
        def go(s: Session) -> sc.SilenceOut:
            out = _silence(ops.add_silence(
                s, body.site, body.district, body.device, body.rule, start,
                start + body.duration_s, who.name if who else body.created_by, body.comment),
                now)
            audit.record(s, author(request, body.created_by), "silence.add",
                         f"silence {out.id}", None, out.model_dump(mode="json"))
            return out
        return run(go)

    @r.delete("/silences/{silence_id}", status_code=204, response_class=Response,
              responses=NOT_FOUND)
    def delete_silence(silence_id: Id, request: Request) -> Response:
        """Remove a silence."""
        def go(s: Session) -> None:
            row = s.get(Silence, silence_id)
            if row is not None:
                require_district(request, row.district)
                before = _silence(row, clock()).model_dump(mode="json")
            ops.delete_silence(s, silence_id)
            audit.record(s, author(request), "silence.delete", f"silence {silence_id}", before)
        run(go)
        return Response(status_code=204)

    @r.get("/maintenance", response_model=list[sc.MaintenanceOut])
    def windows(request: Request, response: Response, limit: ListLimit = None,
                cursor: IdCursor = None) -> object:
        """Recurring maintenance windows, by id; with ``limit`` the next page is in the
        ``Link`` header (``rel="next"``, by cursor)."""
        now = clock()
        rows = run(lambda s: [_window(w, now) for w in s.query(MaintenanceWindow)
                              .order_by(MaintenanceWindow.id)])
        return list_slice(request, response, rows, lambda x: x.id, limit, cursor)

    @r.post("/maintenance", response_model=sc.MaintenanceOut, status_code=201, responses=BAD)
    def add_window(body: sc.MaintenanceIn, request: Request) -> object:
        """Add a recurring window (RRULE with FREQ=HOURLY..YEARLY; 400 with the reason)."""
        require_district(request, body.district)
        who = identity(request)
        now = clock()
        def go(s: Session) -> sc.MaintenanceOut:
            out = _window(ops.add_maintenance(
                s, body.name, body.site, body.district, body.device, body.rule, body.rrule,
                body.dtstart, body.duration_s, who.name if who else body.created_by,
                body.comment), now)
            audit.record(s, author(request, body.created_by), "maintenance.add",
                         f"maintenance {out.id}", None, out.model_dump(mode="json"))
            return out
        return run(go)

    @r.delete("/maintenance/{window_id}", status_code=204, response_class=Response,
              responses=NOT_FOUND)
    def delete_window(window_id: Id, request: Request) -> Response:
        """Remove a maintenance window."""
        def go(s: Session) -> None:
            row = s.get(MaintenanceWindow, window_id)
            if row is not None:
                require_district(request, row.district)
                before = _window(row, clock()).model_dump(mode="json")
            ops.delete_maintenance(s, window_id)
            audit.record(s, author(request), "maintenance.delete", f"maintenance {window_id}",
                         before)
        run(go)
        return Response(status_code=204)

    return r
