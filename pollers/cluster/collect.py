"""The messages of a node's other collectors: ICMP sweeps and SNMP traps (pure, no I/O).

They ride the node's stream next to the batches (:mod:`pollers.cluster.messages`), on their
own subjects:

* ``prov.<prov>.<node>.icmp``: one :class:`IcmpSweep` per ICMP sweep of the node's devices;
  ``Nats-Msg-Id`` ``<node>:icmp:<sweep start in ms>``.
* ``prov.<prov>.<node>.trap``: one :class:`TrapNote` per trap received from one of its
  devices, with the verdict of the node's own confirming poll for a link trap;
  ``Nats-Msg-Id`` ``<node>:trap:<digest of the trap>``: the same trap re-published after a
  restart is stored once.

The SSH jobs' optic readings and configuration backups (:mod:`pollers.cluster.sshmsg`)
ride their own subjects too. All are message version :data:`COLLECT_VERSION` (2): a centre
that only knows version 1 refuses them with "message version 2, this node speaks 1"
(counted, logged, dropped) and keeps reading the batches and heartbeats, which stay
version 1. :func:`decode_any` reads every kind.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, get_args

from provnet.pollers.cluster.messages import (
    VERSION,
    Batch,
    Heartbeat,
    MessageError,
    check_token,
    decode_object,
    dump_object,
    heartbeat_subject,
    load_object,
    poll_subject,
)
from provnet.pollers.cluster.sshmsg import (
    KIND_CONFIG,
    KIND_OPTICS,
    ConfigNote,
    OpticsNote,
    config_subject,
    decode_ssh,
    optics_subject,
)
from provnet.pollers.readings import IcmpReading
from provnet.pollers.trapconfirm import Verdict
from provnet.pollers.traps import TrapEvent, TrapKind

#: version of the ICMP and trap messages (batches and heartbeats stay :data:`VERSION`)
COLLECT_VERSION = 2
KIND_ICMP, KIND_TRAP = "i", "t"
_VERDICTS: frozenset[str] = frozenset(get_args(Verdict))
_TRAP_KINDS: frozenset[str] = frozenset(get_args(TrapKind))
_ICMP_FIELDS = tuple(f.name for f in fields(IcmpReading))
_TRAP_FIELDS = tuple(f.name for f in fields(TrapEvent))


def icmp_subject(province: str, node: str) -> str:
    """Subject of ``node``'s ICMP sweeps."""
    return f"prov.{province}.{node}.icmp"


def trap_subject(province: str, node: str) -> str:
    """Subject of the traps ``node`` received."""
    return f"prov.{province}.{node}.trap"


@dataclass(frozen=True, slots=True)
class IcmpItem:
    """One device's probe: ``t`` the time the node had the reading (epoch s)."""

    device_id: int
    t: float
    reading: IcmpReading


@dataclass(frozen=True, slots=True)
class IcmpSweep:
    """One ICMP sweep of a node's devices; ``started`` (epoch s) is its event time."""

    node: str
    started: float
    interval_s: float
    plan_version: int
    readings: tuple[IcmpItem, ...] = ()

    @property
    def msg_id(self) -> str:
        """The de-duplication id."""
        return f"{self.node}:icmp:{round(self.started * 1000)}"


@dataclass(frozen=True, slots=True)
class TrapNote:
    """A trap a node received from one of its devices. ``verdict``: what the node's own
    targeted poll said of a link trap's claim (None for other traps: nothing to confirm)."""

    node: str
    device_id: int
    event: TrapEvent
    verdict: Verdict | None = None
    plan_version: int = 0

    @property
    def msg_id(self) -> str:
        """The de-duplication id: a digest of the device and the trap as received."""
        raw = dump_object({"d": self.device_id, "e": _trap_row(self.event)})
        return f"{self.node}:trap:{hashlib.sha256(raw).hexdigest()[:20]}"


# --- encoding ------------------------------------------------------------------------------
def _trap_row(e: TrapEvent) -> list[Any]:
    return [getattr(e, f) for f in _TRAP_FIELDS]


def encode_icmp(s: IcmpSweep) -> bytes:
    """Bytes of an ICMP sweep (readings positional: device, time, :class:`IcmpReading`)."""
    return dump_object({
        "v": COLLECT_VERSION, "k": KIND_ICMP, "node": s.node, "t": s.started,
        "iv": s.interval_s, "pv": s.plan_version,
        "r": [[i.device_id, i.t, *(getattr(i.reading, f) for f in _ICMP_FIELDS)]
              for i in s.readings]})


def encode_trap(n: TrapNote) -> bytes:
    """Bytes of a trap note."""
    return dump_object({"v": COLLECT_VERSION, "k": KIND_TRAP, "node": n.node, "d": n.device_id,
                        "vd": n.verdict, "pv": n.plan_version, "e": _trap_row(n.event)})


def _finite(value: Any, what: str) -> float:
    out = float(value)
    if not math.isfinite(out) or isinstance(value, bool):
        raise MessageError(f"{what} {value!r} is not a finite number")
    return out


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MessageError(f"{what} {value!r} is not an integer")
    return value


def _decode_icmp(o: Mapping[str, Any]) -> IcmpSweep:
    items = []
    for row in o["r"]:
        if not isinstance(row, list) or len(row) != 2 + len(_ICMP_FIELDS):
            raise MessageError(f"ICMP reading {row!r}: expected {2 + len(_ICMP_FIELDS)} values")
        values = dict(zip(_ICMP_FIELDS, row[2:], strict=True))
        reading = IcmpReading(
            address=str(values["address"]), sent=_int(values["sent"], "sent"),
            received=_int(values["received"], "received"),
            loss_pct=_finite(values["loss_pct"], "loss_pct"),
            **{k: None if values[k] is None else _finite(values[k], k)
               for k in ("rtt_min_ms", "rtt_avg_ms", "rtt_max_ms")})
        if not 0 <= reading.received <= reading.sent or not 0 <= reading.loss_pct <= 100:
            raise MessageError(f"ICMP reading {row!r}: impossible counts")
        items.append(IcmpItem(_int(row[0], "device"), _finite(row[1], "reading time"),
                              reading))
    return IcmpSweep(check_token(str(o["node"]), "node"), _finite(o["t"], "sweep start"),
                     _finite(o["iv"], "interval"), _int(o["pv"], "plan version"), tuple(items))


def _decode_trap(o: Mapping[str, Any]) -> TrapNote:
    row = o["e"]
    if not isinstance(row, list) or len(row) != len(_TRAP_FIELDS):
        raise MessageError(f"trap {row!r}: expected {len(_TRAP_FIELDS)} values")
    e = dict(zip(_TRAP_FIELDS, row, strict=True))
    if e["kind"] not in _TRAP_KINDS:
        raise MessageError(f"unknown trap kind {e['kind']!r}")
    verdict = o.get("vd")
    if verdict is not None and verdict not in _VERDICTS:
        raise MessageError(f"unknown trap verdict {verdict!r}")
    optional = {k: None if e[k] is None else _int(e[k], k)
                for k in ("ifindex", "uptime_ticks", "oper_status", "admin_status")}
    event = TrapEvent(source=str(e["source"]), kind=e["kind"], time=_finite(e["time"], "time"),
                      user=None if e["user"] is None else str(e["user"]), **optional)
    if verdict is not None and event.oper_up is None:
        raise MessageError(f"a verdict on a {event.kind} trap (only link traps are confirmed)")
    return TrapNote(check_token(str(o["node"]), "node"), _int(o["d"], "device"), event,
                    verdict, _int(o.get("pv", 0), "plan version"))


#: every message a node publishes
NodeMessage = Batch | Heartbeat | IcmpSweep | TrapNote | OpticsNote | ConfigNote
_V2_KINDS = (KIND_ICMP, KIND_TRAP, KIND_OPTICS, KIND_CONFIG)


def decode_any(data: bytes) -> NodeMessage:
    """Any message of a node's stream; anything else is a :class:`MessageError`."""
    o = load_object(data, frozenset({VERSION, COLLECT_VERSION}))
    kind = o.get("k")
    if kind not in (*_V2_KINDS, "b", "h"):
        raise MessageError(f"unknown message kind {kind!r}")
    if kind not in _V2_KINDS:
        if o["v"] != VERSION:
            raise MessageError(f"message kind {kind!r} of version {o['v']!r}: this node "
                               f"reads it in version {VERSION}")
        return decode_object(o)
    if o["v"] != COLLECT_VERSION:
        raise MessageError(f"message kind {kind!r} of version {o['v']!r}: this node reads "
                           f"it in version {COLLECT_VERSION}")
    if kind in (KIND_OPTICS, KIND_CONFIG):
        return decode_ssh(o)
    try:
        return _decode_icmp(o) if kind == KIND_ICMP else _decode_trap(o)
    except (KeyError, TypeError, ValueError) as exc:
        raise MessageError(f"malformed {kind!r} message: {exc!r}") from exc


def subject_of(msg: NodeMessage, province: str) -> str:
    """The subject a message of a node is published on."""
    if isinstance(msg, Batch):
        return poll_subject(province, msg.node, msg.shard)
    if isinstance(msg, Heartbeat):
        return heartbeat_subject(province, msg.node)
    if isinstance(msg, IcmpSweep):
        return icmp_subject(province, msg.node)
    if isinstance(msg, OpticsNote):
        return optics_subject(province, msg.node)
    if isinstance(msg, ConfigNote):
        return config_subject(province, msg.node)
    return trap_subject(province, msg.node)
