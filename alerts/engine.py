"""The pure alert engine: observations in, per-alert state machines, transitions out.

Each (rule, entity) pair is one state machine::

    inactive -> pending -> firing -> (resolved) inactive

``for`` delays firing, ``clear_for`` delays resolving, hysteresis comes from the rule's
raise/clear levels. Flapping: when the raw condition changes ``flap.changes`` times within
``flap.window``, a firing alert is held open (no resolve, no re-fire) until the condition has
been clear for ``flap.hold``; then it resolves once. The clock is injected: no I/O here.
``clock_for`` (optional) gives an entity its own clock: the event time of the remote poller
node that polls it (:mod:`alerts.eventtime`), so its timers advance only up to that node's
watermark; None keeps ``clock``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from provnet.alerts.rules import Rule, RuleSet

State = Literal["inactive", "pending", "firing"]
Change = Literal["pending", "firing", "resolved", "cancelled", "flapping"]


@dataclass(frozen=True, slots=True)
class Observation:
    """One fresh value of one metric of one entity (``device:7``, ``link:12``, ``if:7:3``)."""

    entity: str
    metric: str
    value: float | None
    time: float
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class AlertState:
    """Mutable state of one (rule, entity) pair; persisted by the incident layer."""

    rule: str
    entity: str
    labels: dict[str, str]
    state: State = "inactive"
    value: float | None = None
    raw: bool = False            # the (hysteresis-aware) bad condition at the last value
    bad_since: float | None = None  # observation time at which ``raw`` last became true
    since: float = 0.0           # when the current state began
    pending_since: float | None = None
    fired_at: float | None = None
    clear_since: float | None = None
    flapping: bool = False
    changes: list[float] = field(default_factory=list)  # raw condition flips (flap window)
    last_time: float | None = None  # time of the newest observation applied

    @property
    def key(self) -> str:
        """Stable identity: ``rule|entity``."""
        return f"{self.rule}|{self.entity}"


@dataclass(frozen=True, slots=True)
class Transition:
    """One state change of one alert, as reported by :meth:`Engine.evaluate`."""

    key: str
    rule: str
    entity: str
    change: Change
    time: float
    value: float | None
    severity: str
    flapping: bool
    labels: Mapping[str, str]


class Engine:
    """Evaluates batches of observations against a :class:`RuleSet`."""

    def __init__(self, rules: RuleSet, clock: Callable[[], float]) -> None:
        self.rules = rules
        self.clock = clock
        #: entity -> its own clock (a remote node's event time), None: ``clock``
        self.clock_for: Callable[[str], float | None] | None = None
        self.alerts: dict[str, AlertState] = {}
        self._history: dict[str, deque[tuple[float, float]]] = {}  # slope rules

    # --- state ----------------------------------------------------------------------------
    def restore(self, states: Iterable[AlertState]) -> None:
        """Load persisted states (after a restart)."""
        for st in states:
            self.alerts[st.key] = st

    def active(self) -> list[AlertState]:
        """Pending and firing alerts."""
        return [a for a in self.alerts.values() if a.state != "inactive"]

    def rule_for(self, st: AlertState) -> Rule | None:
        """The effective rule of an alert (None if the rule was removed)."""
        base = self.rules.by_name.get(st.rule)
        return self.rules.effective(base, st.labels) if base else None

    # --- evaluation -----------------------------------------------------------------------
    def evaluate(self, observations: Iterable[Observation]) -> list[Transition]:
        """Apply a batch of fresh observations, then advance every timer to ``clock()``."""
        now = self.clock()
        out: list[Transition] = []
        for obs in observations:
            for base in self.rules.by_metric.get(obs.metric, ()):
                rule = self.rules.effective(base, obs.labels)
                if rule.enabled:
                    self._observe(rule, obs, out)
        for st in list(self.alerts.values()):
            eff = self.rule_for(st)
            own = self.clock_for(st.entity) if self.clock_for is not None else None
            if eff is not None:
                self._advance(eff, st, now if own is None else own, out)
            elif st.state != "inactive":  # its rule was removed from the file: close it
                out.append(Transition(st.key, st.rule, st.entity, "resolved", now, st.value,
                                      "info", False, dict(st.labels)))
                st.state, st.changes = "inactive", []
            if st.state == "inactive" and not st.changes:
                del self.alerts[st.key]
        return out

    def _value(self, rule: Rule, obs: Observation) -> float | None:
        if rule.mode == "value" or obs.value is None:
            return obs.value
        hist = self._history.setdefault(f"{rule.name}|{obs.entity}", deque())
        hist.append((obs.time, obs.value))
        while hist and obs.time - hist[0][0] > rule.slope_window:
            hist.popleft()
        t0, v0 = hist[0]
        if obs.time - t0 < rule.slope_window / 4:
            return None  # not enough history for a slope
        return (obs.value - v0) * 3600.0 / (obs.time - t0)

    def _observe(self, rule: Rule, obs: Observation, out: list[Transition]) -> None:
        key = f"{rule.name}|{obs.entity}"
        st = self.alerts.get(key)
        if st is not None and st.last_time is not None and obs.time < st.last_time:
            return  # older than what we know (a poll that started before a trap): stale
        value = self._value(rule, obs)
        if value is None:
            return
        if st is None:
            st = AlertState(rule.name, obs.entity, dict(obs.labels))
        st.value, st.last_time = value, obs.time
        st.labels = dict(obs.labels)
        bad = not rule.cleared(value) if st.state == "firing" else rule.breaches(value)
        if bad != st.raw:
            st.changes.append(obs.time)
            st.raw = bad
            st.bad_since = obs.time if bad else None
        if bad or st.state != "inactive" or st.changes:
            self.alerts[key] = st

    def _advance(self, rule: Rule, st: AlertState, now: float, out: list[Transition]) -> None:
        st.changes = [t for t in st.changes if now - t <= rule.flap.window]
        if st.state == "inactive" and st.raw:
            self._to(st, "pending", now, rule, out)
            st.pending_since = now
        if st.state == "pending":
            if not st.raw:
                self._to(st, "cancelled", now, rule, out)
            elif now - (now if st.pending_since is None else st.pending_since) >= rule.for_:
                self._to(st, "firing", now, rule, out)
                st.fired_at = now
        elif st.state == "firing":
            self._advance_firing(rule, st, now, out)

    def _advance_firing(self, rule: Rule, st: AlertState, now: float,
                        out: list[Transition]) -> None:
        if not st.flapping and len(st.changes) >= rule.flap.changes:
            st.flapping = True
            out.append(self._transition(st, "flapping", now, rule))
        if st.raw:
            st.clear_since = None
            return
        if st.clear_since is None:
            st.clear_since = now
        hold = rule.flap.hold if st.flapping else rule.clear_for
        if now - st.clear_since >= hold:
            self._to(st, "resolved", now, rule, out)

    def _to(self, st: AlertState, change: Change, now: float, rule: Rule,
            out: list[Transition]) -> None:
        out.append(self._transition(st, change, now, rule))
        st.since = now
        if change == "pending":
            st.state = "pending"
        elif change == "firing":
            st.state = "firing"
        else:  # resolved / cancelled
            st.state = "inactive"
            st.pending_since = st.fired_at = st.clear_since = None
            st.flapping = False  # the change history stays: a quick re-fire is flapping

    @staticmethod
    def _transition(st: AlertState, change: Change, now: float, rule: Rule) -> Transition:
        return Transition(st.key, st.rule, st.entity, change, now, st.value, rule.severity,
                          st.flapping, {**rule.labels, **st.labels})
