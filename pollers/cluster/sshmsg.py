"""The messages of a node's SSH jobs: optic readings and configuration backups (pure).

They ride the node's stream next to its batches, ICMP sweeps and traps, on their own
subjects, one message per device and session:

* ``prov.<prov>.<node>.optics``: one :class:`OpticsNote` per device whose collection read
  optics; ``Nats-Msg-Id`` ``<node>:optics:<device>:<session start in ms>``.
* ``prov.<prov>.<node>.config``: one :class:`ConfigNote` per device whose running
  configuration was fetched, **scrubbed on the node** (secrets never leave it);
  ``Nats-Msg-Id`` ``<node>:config:<device>:<session start in ms>``.

Both are message version 2 (as ICMP sweeps and traps). A configuration whose message would
not fit a NATS message (``max_payload``, 1 MiB by default) is refused when it is encoded
(:class:`~pollers.cluster.messages.MessageError` naming the device and its size): the node
logs and counts it, the centre keeps the previous version.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from provnet.pollers.cluster.messages import MessageError, check_token, dump_object
from provnet.pollers.ssh.types import OpticReading

SSH_VERSION = 2  # = collect.COLLECT_VERSION (not imported: collect imports this module)
KIND_OPTICS, KIND_CONFIG = "o", "c"
#: nats-server's default max_payload
MAX_PAYLOAD = 1024 * 1024
#: what a message may take of it (headers and the subject need the rest)
MAX_MESSAGE_BYTES = MAX_PAYLOAD - 4096
_OPTIC_FIELDS = tuple(f.name for f in fields(OpticReading))
_FLOAT_FIELDS = frozenset(_OPTIC_FIELDS) - {"name", "ifindex"}


def optics_subject(province: str, node: str) -> str:
    """Subject of the optic readings of ``node``'s SSH collection."""
    return f"prov.{province}.{node}.optics"


def config_subject(province: str, node: str) -> str:
    """Subject of ``node``'s configuration backups."""
    return f"prov.{province}.{node}.config"


@dataclass(frozen=True, slots=True)
class OpticsNote:
    """One device's optic readings from one SSH session; ``started`` (epoch s) its time."""

    node: str
    device_id: int
    started: float
    readings: tuple[OpticReading, ...]
    plan_version: int = 0

    @property
    def msg_id(self) -> str:
        """The de-duplication id."""
        return f"{self.node}:optics:{self.device_id}:{round(self.started * 1000)}"


@dataclass(frozen=True, slots=True)
class ConfigNote:
    """One device's running configuration (scrubbed) fetched at ``started`` (epoch s)."""

    node: str
    device_id: int
    started: float
    text: str
    plan_version: int = 0

    @property
    def msg_id(self) -> str:
        """The de-duplication id."""
        return f"{self.node}:config:{self.device_id}:{round(self.started * 1000)}"


def encode_optics(n: OpticsNote) -> bytes:
    """Bytes of an optics note (readings positional, :class:`OpticReading` fields)."""
    return dump_object({"v": SSH_VERSION, "k": KIND_OPTICS, "node": n.node, "d": n.device_id,
                        "t": n.started, "pv": n.plan_version,
                        "r": [[getattr(r, f) for f in _OPTIC_FIELDS] for r in n.readings]})


def encode_config(n: ConfigNote) -> bytes:
    """Bytes of a configuration note; a :class:`MessageError` when it exceeds
    :data:`MAX_MESSAGE_BYTES` (not published: nats-server would refuse it)."""
    data = dump_object({"v": SSH_VERSION, "k": KIND_CONFIG, "node": n.node, "d": n.device_id,
                        "t": n.started, "pv": n.plan_version, "c": n.text})
    if len(data) > MAX_MESSAGE_BYTES:
        raise MessageError(
            f"configuration of device {n.device_id} is {len(data)} bytes as a message, over "
            f"the {MAX_MESSAGE_BYTES} a NATS message may carry (max_payload "
            f"{MAX_PAYLOAD}): not published")
    return data


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MessageError(f"{what} {value!r} is not a number")
    out = float(value)
    if not math.isfinite(out):
        raise MessageError(f"{what} {value!r} is not a finite number")
    return out


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MessageError(f"{what} {value!r} is not an integer")
    return value


def _reading(row: Any) -> OpticReading:
    if not isinstance(row, list) or len(row) != len(_OPTIC_FIELDS):
        raise MessageError(f"optic reading {row!r}: expected {len(_OPTIC_FIELDS)} values")
    v = dict(zip(_OPTIC_FIELDS, row, strict=True))
    if not isinstance(v["name"], str) or not v["name"]:
        raise MessageError(f"optic reading {row!r}: no port name")
    return OpticReading(name=v["name"],
                        ifindex=None if v["ifindex"] is None else _int(v["ifindex"], "ifindex"),
                        **{k: None if v[k] is None else _number(v[k], k)
                           for k in _FLOAT_FIELDS})


def decode_ssh(o: Mapping[str, Any]) -> OpticsNote | ConfigNote:
    """An optics or configuration note from its loaded message object (version checked)."""
    kind = o.get("k")
    try:
        node = check_token(str(o["node"]), "node")
        device = _int(o["d"], "device")
        started = _number(o["t"], "session start")
        version = _int(o.get("pv", 0), "plan version")
        if kind == KIND_OPTICS:
            rows = o["r"]
            if not isinstance(rows, list) or not rows:
                raise MessageError("optics note without readings")
            return OpticsNote(node, device, started, tuple(_reading(r) for r in rows), version)
        if kind == KIND_CONFIG:
            text = o["c"]
            if not isinstance(text, str) or not text.strip():
                raise MessageError(f"configuration of device {device} is empty or not text")
            return ConfigNote(node, device, started, text, version)
    except (KeyError, TypeError, ValueError) as exc:
        raise MessageError(f"malformed {kind!r} message: {exc!r}") from exc
    raise MessageError(f"unknown message kind {kind!r}")
