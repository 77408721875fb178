"""Incidents held while a remote node was blind, released once it has caught up.

While a node is silent or catching up, incidents raised by what it polls are held (marked
``labels["held"]`` by the incident book, never notified). When its backlog has been
evaluated up to the present (:class:`alerts.eventtime.EventTime` ``caught_up``):

* every held incident takes the event times of its alerts (``started_at``, ``resolved_at``),
  so history and availability count what really happened;
* one still open is notified once, marked "detected late" (``labels["kind"] = "late"``,
  ``late_by_s``: from its event-time start to now), with its root cause as the book computed
  it;
* those that opened and closed in between become ONE digest notification, a resolved
  incident of its own (``kind = "digest"``) listing them; they are never notified one by
  one, so no resolution is ever sent for a firing that was never sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from provnet.alerts.causes import LANGS, Phrase
from provnet.alerts.handover import Decision
from provnet.alerts.incidents import OPEN, fired
from provnet.alerts.model import Alert, Incident, IncidentEvent
from provnet.alerts.notes import worst
from provnet.alerts.notify.render import DEFAULT_TZ

DIGEST_ITEMS = 8  # incidents named in a digest's cause; the rest are counted
SLACK_S = 5.0  # wall-clock slack when looking for held incidents created after the silence


@dataclass(frozen=True)
class Released:
    """What a release decided: late firings and the digest (incident ids)."""

    late: tuple[int, ...]
    digested: tuple[int, ...]
    digest: int | None
    decisions: tuple[Decision, ...]


def hhmm(ts: float, tz: str = DEFAULT_TZ) -> str:
    """``10:02`` in the province's time zone."""
    return datetime.fromtimestamp(ts, UTC).astimezone(ZoneInfo(tz)).strftime("%H:%M")


def _event(s: Session, inc_id: int, t: float, kind: str, detail: str) -> None:
    s.add(IncidentEvent(incident_id=inc_id, time=t, kind=kind, detail=detail))


def _event_times(s: Session, inc: Incident) -> None:
    """Stamp ``inc`` with its alerts' event times (the book stamped the wall clock)."""
    members = s.scalars(select(Alert).where(Alert.incident_id == inc.id)).all()
    if not members:
        return
    inc.started_at = min(m.started_at for m in members)
    ends = [m.resolved_at for m in members if m.resolved_at is not None]
    if inc.status == "resolved" and ends:
        inc.resolved_at = max(ends)


def held_incidents(s: Session, node: str, since: float) -> list[Incident]:
    """Incidents held for ``node``, created since wall time ``since``, not yet released."""
    rows = s.scalars(select(Incident).where(Incident.started_at >= since - SLACK_S)
                     .order_by(Incident.id)).all()
    return [i for i in rows if (i.labels or {}).get("held") == node
            and not (i.labels or {}).get("released") and not fired(i)]


def release(s: Session, node: str, window: tuple[float, float], since: float, now: float,
            escalate_after_s: float) -> Released:
    """Release what was held for ``node`` (blind over event times ``window``, silent since
    wall time ``since``); the caller commits, then hands ``decisions`` to the outbox."""
    late: list[int] = []
    done: list[Incident] = []
    decisions: list[Decision] = []
    for inc in held_incidents(s, node, since):
        _event_times(s, inc)
        labels = {**(inc.labels or {}), "released": True}
        if inc.status in OPEN and not inc.silenced:
            late_by = max(0.0, now - inc.started_at)
            labels.update(kind="late", node=node, late_by_s=f"{late_by:.0f}", fired=True,
                          next_escalation_at=now + escalate_after_s)
            inc.labels = labels
            _event(s, inc.id, now, "detected_late", f"node {node} caught up: notified "
                   f"{late_by:.0f} s after it started")
            decisions.append(Decision(inc.id, "firing", 1))
            late.append(inc.id)
        else:
            inc.labels = labels
            if inc.status == "resolved" and not inc.silenced:
                done.append(inc)
    digest = _digest(s, node, window, done, now) if done else None
    if digest is not None:
        decisions.append(Decision(digest.id, "firing", 1))
    return Released(tuple(late), tuple(i.id for i in done),
                    digest.id if digest else None, tuple(decisions))


def _digest(s: Session, node: str, window: tuple[float, float], done: list[Incident],
            now: float) -> Incident:
    start = min([window[0]] + [i.started_at for i in done])
    end = max([window[1]] + [i.resolved_at or i.started_at for i in done])
    phrases = [Phrase.from_json((i.labels or {}).get("title")) for i in done]
    what = {}
    for lang in LANGS:
        shown = [p.text(lang) if p else i.title
                 for p, i in zip(phrases, done, strict=True)][:DIGEST_ITEMS]
        rest = len(done) - len(shown)
        what[lang] = "; ".join(shown) + (f"; +{rest}" if rest > 0 else "")
    params = {"node": node, "start": hhmm(start), "end": hhmm(end), "count": len(done)}
    title, cause = Phrase("title.digest", params), Phrase("cause.digest", {"what": what})
    affected: dict[str, dict[str, object]] = {}
    for i in done:
        for a in i.affected or []:
            affected.setdefault(str(a.get("site_code")), a)
    first = done[0]
    inc = Incident(group_key=f"digest:{node}:{start:.0f}", severity=worst(
        [i.severity for i in done]), status="resolved", started_at=start, resolved_at=end,
        notified=False, silenced=False, escalations=0,
        labels={"kind": "digest", "node": node, "fired": True, "title": title.to_json(),
                "cause": cause.to_json(), "digest": [i.id for i in done]},
        affected=[affected[k] for k in sorted(affected)],
        title=title.text("vi")[:300], root_cause=cause.text("en")[:300],
        root_site_code=first.root_site_code if len(done) == 1 else None,
        district=first.district if len({i.district for i in done}) == 1 else None)
    s.add(inc)
    s.flush()
    _event(s, inc.id, now, "digest", f"{len(done)} incident(s) while node {node} was blind: "
           + ", ".join(f"#{i.id}" for i in done))
    for i in done:
        _event(s, i.id, now, "digested", f"in digest #{inc.id} (node {node} was blind)")
    return inc
