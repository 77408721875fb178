"""The message contract between poller nodes ("agents") and the centre (pure, no I/O).

Subjects (``<prov>`` the province id, ``<node>`` the poller node id, both ``[A-Za-z0-9_-]``):

* ``prov.<prov>.<node>.poll.<shard>``: one :class:`Batch` per (node, shard, tick). Every shard
  publishes exactly one batch per tick, empty if it had nothing to poll, so a missing tick is a
  visible gap (the centre's per-node watermark relies on it).
* ``prov.<prov>.<node>.hb``: one :class:`Heartbeat` per tick (or every few seconds), into the
  same local stream: after a WAN cut the centre learns the node was alive and polling.

De-duplication: ``Nats-Msg-Id`` = :func:`batch_msg_id` ``<node>:<shard>:<tick>`` and
:func:`heartbeat_msg_id` ``<node>:hb:<tick>``; the streams keep a duplicate window of at least an
hour, so a batch re-published after an agent restart is stored once.

Time: ``tick = floor(event_time / interval_s)`` of the cycle's scheduled start (wall clock,
epoch seconds); each device result carries its own ``started`` (event time of that poll).
Order: per device one (node, shard) at a time and ticks published in order; a JetStream stream
keeps order per subject.

Encoding: compact JSON (UTF-8, short keys), field ``v`` = :data:`VERSION`; a message of another
version or kind is a :class:`MessageError`, never a crash. Interface rows are positional
(:data:`IF_FIELDS`), rates too (:data:`RATE_FIELDS`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from provnet.pollers.errors import PollerError
from provnet.pollers.readings import HealthReading, IcmpReading, OpticReading, Reading
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget

#: version of the encoding; decoders refuse other versions
VERSION = 1
#: statuses of a device result: answered / did not answer (see ``error_kind``)
STATUS_OK, STATUS_FAILED = "ok", "failed"
#: header carrying the de-duplication id (JetStream)
MSG_ID_HEADER = "Nats-Msg-Id"

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

IF_FIELDS: tuple[str, ...] = (
    "ifindex", "name", "oper_status", "admin_status", "in_octets", "out_octets", "in_errors",
    "out_errors", "in_discards", "out_discards", "high_speed_mbps", "alias", "if_type",
    "discontinuity_ticks", "counter_bits",
)
RATE_FIELDS: tuple[str, ...] = (
    "in_bps", "out_bps", "in_util_pct", "out_util_pct", "in_errors_ps", "out_errors_ps",
    "in_discards_ps", "out_discards_ps", "reset", "rejected",
)
_IF_WIDTH, _RATE_WIDTH = len(IF_FIELDS), len(RATE_FIELDS)
_READING_KINDS: dict[str, type[Any]] = {"o": OpticReading, "h": HealthReading, "i": IcmpReading}
_KIND_OF = {cls: kind for kind, cls in _READING_KINDS.items()}


class MessageError(PollerError):
    """A message that cannot be decoded (bad JSON, other version, missing field)."""


def check_token(value: str, what: str) -> str:
    """``value`` if it is a safe subject token (letters, digits, ``_``, ``-``), else an error."""
    if not _TOKEN.match(value):
        raise MessageError(f"{what} {value!r} must be 1-64 of [A-Za-z0-9_-]")
    return value


def poll_subject(province: str, node: str, shard: int) -> str:
    """Subject of the batches of ``node``'s ``shard``."""
    return f"prov.{province}.{node}.poll.{shard}"


def heartbeat_subject(province: str, node: str) -> str:
    """Subject of ``node``'s heartbeats."""
    return f"prov.{province}.{node}.hb"


def node_subjects(province: str, node: str) -> str:
    """Wildcard of everything ``node`` publishes (its leaf stream's subjects)."""
    return f"prov.{province}.{node}.>"


def batch_msg_id(node: str, shard: int, tick: int) -> str:
    """``Nats-Msg-Id`` of a batch: the same batch re-published is stored once."""
    return f"{node}:{shard}:{tick}"


def heartbeat_msg_id(node: str, tick: int) -> str:
    """``Nats-Msg-Id`` of a heartbeat."""
    return f"{node}:hb:{tick}"


def tick_of(event_time: float, interval_s: float) -> int:
    """Tick number of a cycle scheduled at ``event_time`` (epoch s)."""
    return math.floor(event_time / interval_s + 1e-9)


@dataclass(frozen=True, slots=True)
class DeviceResult:
    """One device's poll in a batch: the :class:`PollResult` fields plus the node's rates."""

    device_id: int
    name: str
    address: str
    status: str  # STATUS_OK | STATUS_FAILED
    started: float  # event time of the poll (epoch s)
    duration_s: float
    sys_uptime_ticks: int | None = None
    interfaces: tuple[IfSample, ...] = ()
    rates: Mapping[int, IfRates] = field(default_factory=dict)
    readings: tuple[Reading, ...] = ()
    error: str | None = None
    error_kind: str | None = None
    varbinds: int = 0
    requests: int = 0
    discovered: str | None = None
    warnings: tuple[str, ...] = ()

    @classmethod
    def of(cls, result: PollResult, rates: Mapping[int, IfRates]) -> DeviceResult:
        """From the poller's result and the rates computed on the node."""
        t = result.target
        return cls(
            device_id=t.device_id, name=t.name, address=t.address,
            status=STATUS_OK if result.ok else STATUS_FAILED, started=result.started,
            duration_s=result.duration_s, sys_uptime_ticks=result.sys_uptime_ticks,
            interfaces=tuple(result.interfaces[i] for i in sorted(result.interfaces)),
            rates=dict(rates), readings=tuple(result.readings), error=result.error,
            error_kind=result.error_kind, varbinds=result.varbinds, requests=result.requests,
            discovered=result.discovered, warnings=tuple(result.warnings),
        )

    def poll_result(self, port: int = 161) -> tuple[PollResult, dict[int, IfRates]]:
        """Back to a :class:`PollResult` (target without secrets) and its rates."""
        target = SnmpTarget(self.device_id, self.name, self.address, port=port, community="")
        result = PollResult(
            target=target, started=self.started, duration_s=self.duration_s,
            sys_uptime_ticks=self.sys_uptime_ticks,
            interfaces={s.ifindex: s for s in self.interfaces}, varbinds=self.varbinds,
            error=None if self.status == STATUS_OK else (self.error or "failed"),
            requests=self.requests, readings=self.readings, error_kind=self.error_kind,
            discovered=self.discovered, warnings=self.warnings,
        )
        return result, dict(self.rates)


@dataclass(frozen=True, slots=True)
class Batch:
    """All results of one (node, shard, tick); ``event_time`` = the tick's scheduled start."""

    node: str
    shard: int
    tick: int
    event_time: float
    interval_s: float
    plan_version: int
    results: tuple[DeviceResult, ...] = ()
    shards: int = 1  # how many shards the node runs (batches to expect per tick)
    overrun: bool = False  # the shard's previous cycle was still running: nothing polled

    @property
    def msg_id(self) -> str:
        """The de-duplication id."""
        return batch_msg_id(self.node, self.shard, self.tick)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A node is alive: ``tick`` is the last tick whose batches it has all published."""

    node: str
    tick: int
    at: float  # wall clock of the node when sent (epoch s)
    interval_s: float
    plan_version: int
    shards: int
    devices: int
    #: the local stream's fill level (bytes stored / max bytes), 0..1; the "buffer > 80%" metric
    buffer_fill: float = 0.0

    @property
    def msg_id(self) -> str:
        """The de-duplication id."""
        return heartbeat_msg_id(self.node, self.tick)


class ResultSink(Protocol):
    """Where the centre hands what it consumes, in stream order per node (the alert gate on
    event time slots in here). ``accept`` must be idempotent: a redelivered batch may come
    again after a crash before its ack."""

    def accept(self, batch: Batch) -> None:
        """One batch (its results are written to the TSDB by the caller's sink chain)."""
        ...

    def heartbeat(self, hb: Heartbeat) -> None:
        """One heartbeat of a node."""
        ...


# --- encoding ------------------------------------------------------------------------------
def _if_row(s: IfSample) -> list[Any]:
    return [getattr(s, f) for f in IF_FIELDS]


def _rate_row(r: IfRates) -> list[Any]:
    return [getattr(r, f) for f in RATE_FIELDS]


def _reading(r: Reading) -> list[Any]:
    kind = _KIND_OF[type(r)]
    return [kind, {f.name: getattr(r, f.name) for f in fields(r)}]


def _device(d: DeviceResult) -> dict[str, Any]:
    out: dict[str, Any] = {"d": d.device_id, "n": d.name, "a": d.address, "s": d.status,
                           "t": d.started, "du": round(d.duration_s, 6)}
    if d.sys_uptime_ticks is not None:
        out["up"] = d.sys_uptime_ticks
    if d.interfaces:
        out["i"] = [_if_row(s) for s in d.interfaces]
    if d.rates:
        out["r"] = {str(k): _rate_row(v) for k, v in d.rates.items()}
    if d.readings:
        out["g"] = [_reading(r) for r in d.readings]
    for key, value in (("e", d.error), ("ek", d.error_kind), ("vb", d.varbinds),
                       ("rq", d.requests), ("dc", d.discovered)):
        if value:
            out[key] = value
    if d.warnings:
        out["w"] = list(d.warnings)
    return out


def dump_object(obj: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON of a message object (NaN refused)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode()


def encode_batch(b: Batch) -> bytes:
    """Bytes of a batch."""
    return dump_object({"v": VERSION, "k": "b", "node": b.node, "sh": b.shard, "ns": b.shards,
                  "tk": b.tick, "t": b.event_time, "iv": b.interval_s, "pv": b.plan_version,
                  "ov": b.overrun, "r": [_device(d) for d in b.results]})


def encode_heartbeat(h: Heartbeat) -> bytes:
    """Bytes of a heartbeat."""
    return dump_object({"v": VERSION, "k": "h", "node": h.node, "tk": h.tick, "at": h.at,
                  "iv": h.interval_s, "pv": h.plan_version, "ns": h.shards, "nd": h.devices,
                  "bf": round(h.buffer_fill, 4)})


def load_object(data: bytes, versions: frozenset[int] = frozenset({VERSION})
                ) -> dict[str, Any]:
    """The JSON object of a message of one of ``versions``, else a :class:`MessageError`."""
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MessageError(f"not a provnet cluster message: {exc}") from exc
    if not isinstance(obj, dict):
        raise MessageError("not a provnet cluster message: not an object")
    if obj.get("v") not in versions:
        raise MessageError(f"message version {obj.get('v')!r}, this node speaks "
                           f"{', '.join(str(v) for v in sorted(versions))}")
    return obj


def _row(cls: type[Any], row: Sequence[Any], width: int) -> Any:
    """``cls`` from a positional row (:data:`IF_FIELDS` / :data:`RATE_FIELDS` are the
    dataclasses' field order: positional construction is the cheapest, checked by length)."""
    if len(row) != width:
        raise ValueError(f"{cls.__name__} row of {len(row)} fields, expected {width}")
    return cls(*row)


def _decode_device(o: Mapping[str, Any]) -> DeviceResult:
    interfaces = tuple(_row(IfSample, row, _IF_WIDTH) for row in o.get("i", ()))
    rates = {int(k): _row(IfRates, row, _RATE_WIDTH) for k, row in o.get("r", {}).items()}
    readings = tuple(_READING_KINDS[kind](**values) for kind, values in o.get("g", ()))
    status = o["s"]
    if status not in (STATUS_OK, STATUS_FAILED):
        raise MessageError(f"unknown device status {status!r}")
    return DeviceResult(
        device_id=int(o["d"]), name=str(o["n"]), address=str(o["a"]), status=status,
        started=float(o["t"]), duration_s=float(o["du"]), sys_uptime_ticks=o.get("up"),
        interfaces=interfaces, rates=rates, readings=readings, error=o.get("e"),
        error_kind=o.get("ek"), varbinds=int(o.get("vb", 0)), requests=int(o.get("rq", 0)),
        discovered=o.get("dc"), warnings=tuple(o.get("w", ())),
    )


def decode(data: bytes) -> Batch | Heartbeat:
    """A batch or a heartbeat from its bytes; anything else is a :class:`MessageError`
    (the ICMP and trap messages of :mod:`pollers.cluster.collect` included: they are of a
    later version; :func:`pollers.cluster.collect.decode_any` reads every kind)."""
    return decode_object(load_object(data))


def decode_object(o: Mapping[str, Any]) -> Batch | Heartbeat:
    """A batch or a heartbeat from a loaded version-1 message object."""
    try:
        if o.get("k") == "b":
            return Batch(node=str(o["node"]), shard=int(o["sh"]), tick=int(o["tk"]),
                         event_time=float(o["t"]), interval_s=float(o["iv"]),
                         plan_version=int(o["pv"]), shards=int(o.get("ns", 1)),
                         overrun=bool(o.get("ov", False)),
                         results=tuple(_decode_device(d) for d in o.get("r", ())))
        if o.get("k") == "h":
            return Heartbeat(node=str(o["node"]), tick=int(o["tk"]), at=float(o["at"]),
                             interval_s=float(o["iv"]), plan_version=int(o["pv"]),
                             shards=int(o["ns"]), devices=int(o["nd"]),
                             buffer_fill=float(o.get("bf", 0.0)))
    except (KeyError, TypeError, ValueError) as exc:
        raise MessageError(f"malformed {o.get('k')!r} message: {exc!r}") from exc
    raise MessageError(f"unknown message kind {o.get('k')!r}")


# --- the plan: what a node polls (KV bucket PLAN, key = node id) ----------------------------
@dataclass(frozen=True, slots=True)
class PlannedSsh:
    """How a node reaches a device over SSH, without secrets: the endpoint, the platform
    (``huawei_vrp``...), and what the node's ``ssh:`` section picks the credential by (the
    device's own SSH profile name, else its role, its platform, the default)."""

    host: str
    port: int = 22
    platform: str = ""
    profile: str | None = None
    role: str = ""


@dataclass(frozen=True, slots=True)
class PlannedDevice:
    """One device assigned to a node. No secrets: the node has its communities and SSH
    credentials locally. ``ssh``: None when the device has no SSH access."""

    device_id: int
    name: str
    address: str
    port: int = 161
    shard: int = 0
    device_class: str = "default"
    vendor: str = ""
    ssh: PlannedSsh | None = None


@dataclass(frozen=True, slots=True)
class NodePlan:
    """What one node polls, at which interval, in how many shards; ``version`` grows."""

    node: str
    version: int
    interval_s: float
    shards: int
    devices: tuple[PlannedDevice, ...] = ()


def encode_plan(p: NodePlan) -> bytes:
    """Bytes of a node's plan (the KV value)."""
    return dump_object({"v": VERSION, "k": "p", "node": p.node, "pv": p.version, "iv": p.interval_s,
                  "ns": p.shards,
                  "dv": [_planned_row(d) for d in p.devices]})


def _planned_row(d: PlannedDevice) -> list[Any]:
    row: list[Any] = [d.device_id, d.name, d.address, d.port, d.shard, d.device_class,
                      d.vendor]
    if d.ssh is not None:  # an eighth value only then: older nodes read 7-value rows
        row.append([d.ssh.host, d.ssh.port, d.ssh.platform, d.ssh.profile, d.ssh.role])
    return row


def _planned_device(row: Sequence[Any]) -> PlannedDevice:
    if not isinstance(row, list) or len(row) not in (7, 8):
        raise MessageError(f"planned device {row!r}: expected 7 or 8 values")
    a, b, c, d, e, f, g = row[:7]
    ssh = None
    if len(row) == 8 and row[7] is not None:
        host, port, platform, profile, role = row[7]
        ssh = PlannedSsh(str(host), int(port), str(platform),
                         None if profile is None else str(profile), str(role))
    return PlannedDevice(int(a), str(b), str(c), int(d), int(e), str(f), str(g), ssh)


def decode_plan(data: bytes) -> NodePlan:
    """A node's plan from the KV value."""
    o = load_object(data)
    if o.get("k") != "p":
        raise MessageError(f"not a plan: kind {o.get('k')!r}")
    try:
        return NodePlan(node=str(o["node"]), version=int(o["pv"]), interval_s=float(o["iv"]),
                        shards=int(o["ns"]),
                        devices=tuple(_planned_device(row) for row in o["dv"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise MessageError(f"malformed plan: {exc!r}") from exc


def group_batch(node: str, shard: int, tick: int, event_time: float, interval_s: float,
                plan_version: int, shards: int,
                polled: Sequence[tuple[PollResult, Mapping[int, IfRates]]]) -> Batch:
    """A batch of the results of one shard's cycle, in device order."""
    results = sorted((DeviceResult.of(r, rates) for r, rates in polled),
                     key=lambda d: d.device_id)
    return Batch(node, shard, tick, event_time, interval_s, plan_version, tuple(results),
                 shards)
