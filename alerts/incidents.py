"""The incident book: engine transitions + root cause -> persisted alerts and incidents.

Each cycle: evaluate the batch, analyse the failed elements on the topology, record alert
changes, group firing alerts under the incident of their root (a new root that explains an
open incident's root re-roots it, so poll order does not matter), update incidents
(affected sites, resolution when every alert has cleared), decide notifications (silences,
maintenance windows, acknowledgements, escalation). Decisions are committed first, then
handed to the outbox with idempotent keys; :meth:`IncidentBook.restore` re-offers them, so
a crash between the two loses nothing and a restart re-notifies nothing.

Flags an incident shows: ``silenced`` is re-evaluated at every evaluation while it is open
(true while a matching silence or maintenance window is active, false again once it ends or
is deleted; a resolved incident keeps the value it had when it resolved). While silenced,
nothing is fired or escalated; the resolution of an incident already fired is still sent.
``notified`` is true once a notification of it was queued to at least one configured
channel (:mod:`alerts.handover`); with no channel it stays false although the firing was
decided (``labels["fired"]``, which drives stickiness, escalation and resolution).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from provnet.alerts.causes import Phrase
from provnet.alerts.engine import AlertState, Engine, Observation, Transition
from provnet.alerts.handover import Decision, Enqueuer, Handover
from provnet.alerts.model import Acknowledgement, Alert, Incident, IncidentEvent
from provnet.alerts.notes import worst
from provnet.alerts.notify.types import Notification
from provnet.alerts.ops import active_matchers
from provnet.alerts.rootcause import Analysis, Element, analyse
from provnet.alerts.silences import Matchers, Target, any_matches
from provnet.alerts.summary import Described, affected_sites, describe_alert, describe_root
from provnet.alerts.view import InventoryView
from provnet.config.settings import AlertSettings
from provnet.inventory.store import Store

log = logging.getLogger(__name__)
OPEN = ("open", "acknowledged")
ACTIVE = ("pending", "firing")
REOFFER_S = 24 * 3600.0


def fired(inc: Incident) -> bool:
    """The firing notification was decided (rows from before ``labels["fired"]``: notified)."""
    return bool((inc.labels or {}).get("fired", inc.notified))


def _describe_as(inc: Incident, d: Described) -> None:
    """Title and cause of ``inc``: both phrases in its labels, the Vietnamese title and the
    English cause in its columns (as before the phrases), its root site and district."""
    inc.labels = {**(inc.labels or {}), "title": d.title.to_json(), "cause": d.cause.to_json()}
    inc.title, inc.root_cause = d.title.text("vi"), d.cause.text("en")
    inc.root_site_code, inc.district = d.site, d.district


def _engine_state(st: AlertState) -> dict[str, Any]:
    return {"state": st.state, "raw": st.raw, "since": st.since, "value": st.value,
            "pending_since": st.pending_since, "fired_at": st.fired_at,
            "bad_since": st.bad_since,
            "clear_since": st.clear_since, "flapping": st.flapping, "changes": st.changes,
            "last_time": st.last_time}


def _restore_state(row: Alert) -> AlertState:
    e = row.engine_state or {}
    return AlertState(row.rule, row.entity, {k: str(v) for k, v in (row.labels or {}).items()},
                      state=e.get("state", row.state), value=e.get("value"),
                      raw=bool(e.get("raw", True)), since=float(e.get("since", 0.0)),
                      pending_since=e.get("pending_since"), fired_at=e.get("fired_at"),
                      bad_since=e.get("bad_since"),
                      clear_since=e.get("clear_since"), flapping=bool(e.get("flapping")),
                      changes=list(e.get("changes", [])), last_time=e.get("last_time"))


class IncidentBook:
    """Owns the engine and the alert/incident tables; one instance per service."""

    def __init__(self, store: Store, engine: Engine, view: InventoryView, outbox: Enqueuer,
                 settings: AlertSettings, clock: Callable[[], float]) -> None:
        self.store, self.engine, self.view, self.outbox = store, engine, view, outbox
        self.settings, self.clock = settings, clock
        self._handover = Handover(store, outbox, view, settings, clock)
        self._deliver = self._handover.deliver
        self._rows: dict[str, int] = {}  # alert key -> open alert row id
        self._fresh = False  # the batch being processed holds observations
        self._answered: dict[int, float] = {}  # device -> last time it answered a poll
        #: members -> the remote node whose blindness holds the incident's notification
        #: (:mod:`alerts.eventtime`): marked ``labels["held"]``, released once it caught up
        self.hold: Callable[[Sequence[Alert]], str | None] | None = None

    def set_view(self, view: InventoryView) -> None:
        """Reason on a new inventory view from the next batch on (an inventory change)."""
        self.view = view
        self._handover.view = view

    # --- start-up -------------------------------------------------------------------------
    def restore(self) -> int:
        """Reload open alerts into the engine and re-offer committed notifications."""
        with self.store.session() as s:
            rows = s.scalars(select(Alert).where(Alert.state.in_(ACTIVE))).all()
            self.engine.restore(_restore_state(r) for r in rows)
            self._rows = {r.key: r.id for r in rows}
            since = self.clock() - REOFFER_S
            incs = s.scalars(select(Incident).where(
                (Incident.status.in_(OPEN)) | (Incident.resolved_at >= since))).all()
            decisions = [d for inc in incs for d in self._committed(inc)]
        self._deliver(decisions)
        log.info("alerts restored: %d open alerts, %d incidents", len(rows), len(incs))
        return len(rows)

    @staticmethod
    def _committed(inc: Incident) -> list[Decision]:
        out: list[Decision] = []
        if fired(inc):
            out.append(Decision(inc.id, "firing", 1))
            out += [Decision(inc.id, "escalated", k) for k in range(1, inc.escalations + 1)]
            if inc.status == "resolved" and (inc.labels or {}).get("kind") != "digest":
                out.append(Decision(inc.id, "resolved", 1))
        return out

    # --- one cycle ------------------------------------------------------------------------
    def process(self, observations: Iterable[Observation],
                confirm: bool = True) -> list[Notification]:
        """Evaluate one batch; return the notifications handed to the outbox.

        ``confirm=False`` (a trap event batch): its observations do not count as a second
        poll confirming a device-rooted incident.
        """
        batch = list(observations)
        for o in batch:
            if o.metric == "device.reachable" and o.value == 1.0:
                e = Element.parse(o.entity)
                if e is not None:
                    self._answered[e.id] = max(o.time, self._answered.get(e.id, o.time))
        transitions = self.engine.evaluate(batch)
        self._fresh = bool(batch) and confirm
        now = self.clock()
        analysis = self._analyse()
        decisions: list[Decision] = []
        with self.store.session() as s:
            self._record(s, transitions)
            self._reroot(s, analysis, now)
            self._group(s, analysis, now)
            decisions = self._update_incidents(s, analysis, now)
            self._save_engine_state(s)
        return self._deliver(decisions)

    def _analyse(self) -> Analysis:
        links: set[int] = set()
        devices: dict[int, float] = {}
        for st in self.engine.active():
            rule = self.engine.rule_for(st)
            e = Element.parse(st.entity)
            if rule is None or rule.cause is None or e is None or not st.raw:
                continue
            if e.kind == "link":
                links.add(e.id)
            else:
                devices[e.id] = st.bad_since if st.bad_since is not None else st.since
        return analyse(self.view.topology, links, self._forwarding(devices))

    def _forwarding(self, failed: dict[int, float]) -> set[int]:
        """Drop failed devices that still forward: a device reachable only through one has
        answered since it stopped answering (its agent is mute, the network is not cut)."""
        topo = self.view.topology
        return {d for d, since in failed.items()
                if not any(self._answered.get(x, -1.0) > since
                           for x in topo.cut_off_by(failed_devices=[d]))}

    def _record(self, s: Session, transitions: list[Transition]) -> None:
        for t in transitions:
            row = s.get(Alert, self._rows[t.key]) if t.key in self._rows else None
            if t.change == "pending" or row is None:
                row = Alert(key=t.key, rule=t.rule, entity=t.entity, severity=t.severity,
                            state="pending", flapping=False, suppressed=False, value=t.value,
                            site=t.labels.get("site"), district=t.labels.get("district"),
                            device=t.labels.get("device"), labels=dict(t.labels),
                            started_at=t.time, engine_state={})
                s.add(row)
                s.flush()
                self._rows[t.key] = row.id
            row.value = t.value
            if t.change == "firing":
                row.state, row.fired_at = "firing", t.time
            elif t.change == "flapping":
                row.flapping = True
                self._event(s, row.incident_id, t.time, "alert_flapping", row,
                            f"{t.rule} {t.entity} is flapping: held open")
            elif t.change in ("resolved", "cancelled"):
                row.state, row.resolved_at = t.change, t.time
                self._rows.pop(t.key, None)
                if t.change == "resolved":
                    self._event(s, row.incident_id, t.time, "alert_resolved", row,
                                f"{t.rule} {t.entity} resolved")

    @staticmethod
    def _event(s: Session, incident_id: int | None, time: float, kind: str, row: Alert | None,
               detail: str, actor: str | None = None) -> None:
        if incident_id is not None:
            s.add(IncidentEvent(incident_id=incident_id, time=time, kind=kind,
                                alert_id=row.id if row else None, actor=actor, detail=detail))

    # --- grouping -------------------------------------------------------------------------
    def _root_of(self, st: AlertState, analysis: Analysis) -> tuple[Element | None,
                                                                     Element | None]:
        e = Element.parse(st.entity)
        link = st.labels.get("link", "")
        if e is None and link.isdigit():  # a port of a failed link (optics, errors): its root
            root = analysis.root(Element("link", int(link)))
            if root is not None:
                return Element("link", int(link)), root
        if e is None:
            dev = st.labels.get("device_id", "")
            e = Element("device", int(dev)) if dev.isdigit() else None
        if e is None:
            return None, None
        root = analysis.root(e)
        if root is None and e.kind == "device":
            root = analysis.device_root(e.id)
        return e, root

    @staticmethod
    def _open_by_key(s: Session) -> dict[str, Incident]:
        rows = s.scalars(select(Incident).where(Incident.status.in_(OPEN))
                         .order_by(Incident.id)).all()
        return {r.group_key: r for r in rows}

    def _reroot(self, s: Session, analysis: Analysis, now: float) -> None:
        """An open, not yet fired incident whose root is now explained by another root
        moves under it (what it was told about, a fired incident keeps)."""
        by_key = self._open_by_key(s)
        for key, inc in list(by_key.items()):
            if fired(inc):
                continue
            e = Element.parse(key)
            new = analysis.root(e) if e else None
            if e is None or new is None or new == e:
                continue
            target = by_key.get(str(new))
            if target is None or target is inc:
                inc.group_key = str(new)
                by_key[str(new)] = inc
                del by_key[key]
                self._event(s, inc.id, now, "rerooted", None, f"root cause is now {new}")
            else:
                for a in s.scalars(select(Alert).where(Alert.incident_id == inc.id)):
                    a.incident_id = target.id
                inc.status, inc.resolved_at = "resolved", now
                self._event(s, inc.id, now, "merged", None, f"merged into #{target.id}")
                self._event(s, target.id, now, "merged", None, f"absorbed #{inc.id}")
                del by_key[key]

    def _group(self, s: Session, analysis: Analysis, now: float) -> None:
        by_key = self._open_by_key(s)
        by_id = {i.id: i for i in by_key.values()}
        for st in self.engine.active():
            if st.state != "firing" or st.key not in self._rows:
                continue
            row = s.get(Alert, self._rows[st.key])
            assert row is not None
            elem, root = self._root_of(st, analysis)
            key = str(root) if root is not None else st.key
            cur = by_id.get(row.incident_id) if row.incident_id else None
            if cur is not None and cur.group_key != key:
                cur_root = Element.parse(cur.group_key)
                if fired(cur) and (root is None or cur_root is None
                                   or analysis.root(cur_root) is not None):
                    continue  # sticky: moves only to a new root once its own root has cleared
                if root is None and not st.raw:
                    continue  # clearing, not a new cause
                cur = None  # not fired yet: regroup freely
            rule = self.engine.rule_for(st)
            suppressed = root is not None and (elem != root or rule is None
                                               or rule.cause != root.kind)
            if cur is not None:  # already in the right incident (perhaps merged into it)
                row.suppressed = suppressed
                continue
            cur = by_key.get(key) or self._new_incident(s, key, st, root, analysis, now)
            by_key[key], by_id[cur.id] = cur, cur
            row.incident_id, row.suppressed = cur.id, suppressed
            self._event(s, cur.id, now, "alert_added", row,
                        f"{st.rule} {st.entity}" + (" (suppressed: cut off)"
                                                    if suppressed else ""))

    def _new_incident(self, s: Session, key: str, st: AlertState, root: Element | None,
                      analysis: Analysis, now: float) -> Incident:
        d = self._describe(key, st, root, analysis, set())
        inc = Incident(group_key=key, severity="info", status="open", started_at=now,
                       notified=False, silenced=False, escalations=0, labels={"root": key},
                       affected=[])
        _describe_as(inc, d)
        s.add(inc)
        s.flush()
        self._event(s, inc.id, now, "created", None, inc.title)
        return inc

    def _describe(self, key: str, st: AlertState | None, root: Element | None,
                  analysis: Analysis, cut: set[int]) -> Described:
        if root is not None:
            return describe_root(self.view, root, cut)
        if st is not None:
            rule = self.engine.rule_for(st)
            return describe_alert(self.view, st.rule, rule.summary if rule else "", st.entity,
                                  st.labels, st.value)
        return Described(Phrase("plain", {"text": key}), Phrase("plain", {"text": key}), None,
                         None)

    # --- incidents ------------------------------------------------------------------------
    def _update_incidents(self, s: Session, analysis: Analysis, now: float) -> list[Decision]:
        decisions: list[Decision] = []
        silences = active_matchers(s, now)
        for inc in self._open_by_key(s).values():
            members = s.scalars(select(Alert).where(Alert.incident_id == inc.id)).all()
            active = [m for m in members if m.state in ACTIVE]
            self._refresh(inc, members, analysis)
            self._set_silenced(s, inc, members, silences, now)
            if not active:
                inc.status, inc.resolved_at = "resolved", now
                self._event(s, inc.id, now, "resolved", None, "every alert has cleared")
                if fired(inc):
                    decisions.append(Decision(inc.id, "resolved", 1))
                continue
            inc.severity = worst([m.severity for m in active])
            confirmed = self._confirmed(inc, active)
            if self._held(inc, members) or not confirmed:
                continue
            decisions += self._notify_or_escalate(s, inc, members, now)
        return decisions

    def _held(self, inc: Incident, members: Sequence[Alert]) -> bool:
        """Not yet fired and a member is polled by a node not caught up: hold it."""
        node = None if self.hold is None or fired(inc) else self.hold(members)
        if node is not None and (inc.labels or {}).get("held") != node:
            inc.labels = {**(inc.labels or {}), "held": node}
        return node is not None

    def deliver(self, decisions: list[Decision]) -> list[Notification]:
        """Hand committed decisions (made outside a cycle) to the outbox."""
        return self._deliver(decisions)

    def _confirmed(self, inc: Incident, members: Iterable[Alert]) -> bool:
        """Only link roots (seen down from a live end) are notified at once; any other
        incident once it has been bad in two batches: in the first one its upstream may have
        been polled before the fault (poll order), or it may be one lost poll."""
        if fired(inc) or inc.group_key.startswith("link:"):
            return True
        seen = int((inc.labels or {}).get("confirmations", 0))
        bad = any((st := self.engine.alerts.get(m.key)) is not None and st.raw
                  for m in members)
        if self._fresh and bad:
            seen += 1
            inc.labels = {**(inc.labels or {}), "confirmations": seen}
        return seen >= 2

    def _refresh(self, inc: Incident, members: Iterable[Alert], analysis: Analysis) -> None:
        root = Element.parse(inc.group_key)
        labels = dict(inc.labels or {})
        # what it cut off stays told: once fired, or held for a digest (a blind node's)
        cut = set(labels.get("cut_off", [])) if fired(inc) or labels.get("held") else set()
        if root is not None and root in analysis.cut_off:
            cut |= analysis.cut_off[root]
        by_device: dict[int, str] = {}
        for m in members:
            if m.entity.startswith("link:"):
                continue  # a link alert carries its A end's labels: not an affected device
            dev = (m.labels or {}).get("device_id")
            if dev and str(dev).isdigit():
                by_device.setdefault(int(dev), m.rule)
        if root is not None and root.kind == "device":
            cut.add(root.id)
        labels["cut_off"] = sorted(cut)
        inc.labels = labels
        inc.affected = affected_sites(self.view, cut | set(by_device), by_device)
        if root is not None:
            _describe_as(inc, describe_root(self.view, root, cut))

    def _notify_or_escalate(self, s: Session, inc: Incident, members: Iterable[Alert],
                            now: float) -> list[Decision]:
        self._expire_ack(s, inc, now)
        if inc.silenced:
            return []
        if not fired(inc):
            if not any(m.state == "firing" for m in members):
                return []
            inc.labels = {**(inc.labels or {}), "fired": True,
                          "next_escalation_at": now + self.settings.escalate_after_s}
            return [Decision(inc.id, "firing", 1)]
        due = float((inc.labels or {}).get("next_escalation_at", inc.started_at))
        if (inc.status == "open" and inc.escalations < self.settings.max_escalations
                and now >= due):
            inc.escalations += 1
            inc.labels = {**(inc.labels or {}),
                          "next_escalation_at": now + self.settings.escalate_after_s}
            self._event(s, inc.id, now, "escalated", None, f"escalation {inc.escalations}")
            return [Decision(inc.id, "escalated", inc.escalations)]
        return []

    def _expire_ack(self, s: Session, inc: Incident, now: float) -> None:
        if inc.status != "acknowledged":
            return
        ack = s.scalars(select(Acknowledgement).where(Acknowledgement.incident_id == inc.id)
                        .order_by(Acknowledgement.id.desc())).first()
        if ack is None or (ack.expires_at is not None and ack.expires_at <= now):
            inc.status = "open"
            self._event(s, inc.id, now, "ack_expired", None, "acknowledgement expired")

    def _set_silenced(self, s: Session, inc: Incident, members: Iterable[Alert],
                      silences: list[Matchers], now: float) -> None:
        """``inc.silenced`` := an active silence or window matches it now (event on change)."""
        ms = list(members)
        target = Target(inc.root_site_code, inc.district,
                        frozenset(m.device for m in ms if m.device), frozenset(m.rule for m in ms))
        now_silenced = any_matches(silences, target)
        if now_silenced == bool(inc.silenced):
            return
        inc.silenced = now_silenced
        if now_silenced:
            self._event(s, inc.id, now, "silenced", None, "matched a silence or maintenance "
                        "window: no notification while it lasts")
        else:
            self._event(s, inc.id, now, "unsilenced", None,
                        "no silence or maintenance window matches any more")

    def _save_engine_state(self, s: Session) -> None:
        for st in self.engine.active():
            if st.key in self._rows:
                row = s.get(Alert, self._rows[st.key])
                if row is not None:
                    row.engine_state = _engine_state(st)
                    row.flapping = st.flapping
