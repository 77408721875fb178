"""SNMP trap receiver: linkDown/linkUp/coldStart/warmStart seen in seconds, not at the next poll.

``parse_trap`` is pure (plain varbinds -> :class:`TrapEvent`); :class:`TrapReceiver` is the
pysnmp 7 adapter (asyncio, SNMPv2c communities and optional SNMPv3 users);
``provnet.features.traps`` wires it into the service: live state first, then an ``snmp_trap``
point, then the listeners (alerting).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

from provnet.config.traps import TrapSettings
from provnet.pollers.errors import PollerError
from provnet.pollers.ifmib import VarBind
from provnet.pollers.oids import (
    COLD_START,
    IF_ADMIN_STATUS,
    IF_INDEX,
    IF_OPER_STATUS,
    LINK_DOWN,
    LINK_UP,
    SNMP_TRAP_OID,
    SYS_UPTIME,
    WARM_START,
    Oid,
    dotted,
)
from provnet.tsdb.measurements import SNMP_TRAP
from provnet.tsdb.points import FieldValue, Point

log = logging.getLogger(__name__)

SYS_UPTIME_0: Final[Oid] = SYS_UPTIME

TrapKind = Literal["cold-start", "warm-start", "link-down", "link-up"]
#: snmpTraps (SNMPv2-MIB) notification OID -> kind.
TRAP_KINDS: Final[Mapping[str, TrapKind]] = {
    dotted(COLD_START): "cold-start",
    dotted(WARM_START): "warm-start",
    dotted(LINK_DOWN): "link-down",
    dotted(LINK_UP): "link-up",
}
TRAP_MEASUREMENT: Final = SNMP_TRAP
OPER_UP, OPER_DOWN = 1, 2
USM_SECURITY_MODEL: Final = 3


class TrapError(PollerError):
    """The trap receiver could not be started (bad address, port in use)."""


@dataclass(frozen=True, slots=True)
class TrapEvent:
    """One understood notification. ``uptime_ticks`` is the sender's sysUpTime.0."""

    source: str
    kind: TrapKind
    time: float
    ifindex: int | None = None
    uptime_ticks: int | None = None
    oper_status: int | None = None
    admin_status: int | None = None
    #: the SNMPv3 (USM) user the trap authenticated as; None for v1/v2c communities
    user: str | None = None

    @property
    def oper_up(self) -> bool | None:
        """True/False for link-up/link-down (the varbind wins when present), else None."""
        if self.kind not in ("link-up", "link-down"):
            return None
        if self.oper_status is not None:
            return self.oper_status == OPER_UP
        return self.kind == "link-up"


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def parse_trap(source: str, varbinds: Sequence[VarBind], received: float) -> TrapEvent | None:
    """SNMPv2-Trap varbinds -> event; ``None`` for notifications we do not act on."""
    values = dict(varbinds)
    trap_oid = values.get(SNMP_TRAP_OID)
    kind = TRAP_KINDS.get(trap_oid) if isinstance(trap_oid, str) else None
    if kind is None:
        return None
    ifindex = oper = admin = None
    for oid, value in varbinds:
        column, row = oid[:-1], oid[-1:]
        if not row:
            continue
        if column == IF_INDEX:
            ifindex = _int(value)
        elif column == IF_OPER_STATUS:
            oper, ifindex = _int(value), ifindex if ifindex is not None else row[0]
        elif column == IF_ADMIN_STATUS:
            admin, ifindex = _int(value), ifindex if ifindex is not None else row[0]
    if kind in ("cold-start", "warm-start"):
        ifindex = oper = admin = None
    return TrapEvent(source, kind, received, ifindex, _int(values.get(SYS_UPTIME_0)), oper, admin)


def trap_point(event: TrapEvent, tags: Mapping[str, str],
               extra: Mapping[str, FieldValue] | None = None) -> Point:
    """The ``snmp_trap`` point of one event (``tags``: the device's tags; ``extra``: more
    fields, e.g. the verdict of the confirming poll)."""
    point_tags = {**tags, "kind": event.kind}
    if event.ifindex is not None:
        point_tags["ifindex"] = str(event.ifindex)
    fields: dict[str, FieldValue] = {"source": event.source}
    if event.uptime_ticks is not None:
        fields["uptime_ticks"] = event.uptime_ticks
    if event.oper_status is not None:
        fields["oper_status"] = event.oper_status
    if event.user is not None:
        fields["user"] = event.user
    fields.update(extra or {})
    return Point(TRAP_MEASUREMENT, fields, point_tags, round(event.time * 1_000_000) * 1000)


# --- the pysnmp adapter ----------------------------------------------------------------------

def _usm_user(eng: Any) -> str | None:
    """The USM user name of the message being processed (None: not SNMPv3)."""
    try:
        ctx = eng.observer.get_execution_context("rfc3412.receiveMessage:request")
    except KeyError:
        return None
    if int(ctx.get("securityModel", 0)) != USM_SECURITY_MODEL:
        return None
    return str(ctx.get("securityName"))


TrapCallback = Callable[[TrapEvent], None]
#: Called with each event from a known device and that device's id (e.g. alerting).
TrapListener = Callable[[TrapEvent, int], None]


class TrapReceiver:
    """Listens on one UDP address with pysnmp and calls ``callback`` for understood traps."""

    def __init__(self, settings: TrapSettings, callback: TrapCallback) -> None:
        self.settings = settings
        self.callback = callback
        self.received = 0
        self.ignored = 0
        #: traps dropped by SNMPv3 security, by reason (unknown user, wrong digest, ...)
        self.refused: dict[str, int] = {}
        self._engine: Any = None
        self._sock: socket.socket | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port); the real port when configured with port 0."""
        if self._sock is None:
            raise TrapError("trap receiver not started")
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    async def start(self) -> None:
        """Bind the socket and register the notification receiver on the running loop."""
        from pysnmp.carrier.asyncio.dgram import udp
        from pysnmp.entity import config, engine
        from pysnmp.entity.rfc3413 import ntfrcv

        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self.settings.host, self.settings.port))
        except OSError as exc:
            sock.close()
            raise TrapError(f"cannot listen for traps on {self.settings.host}:"
                            f"{self.settings.port}: {exc}") from exc
        sock.setblocking(False)
        self._sock = sock
        eng = engine.SnmpEngine()
        config.add_transport(eng, udp.DOMAIN_NAME, udp.UdpTransport().open_server_mode(sock=sock))
        for n, community in enumerate(self.settings.communities):
            config.add_v1_system(eng, f"provnet-trap-{n}", community.get_secret_value())
        for user in self.settings.v3_users:
            config.add_v3_user(
                eng, user.user, config.USM_AUTH_HMAC96_SHA, user.auth_key.get_secret_value(),
                config.USM_PRIV_CFB128_AES, user.priv_key.get_secret_value(),
                securityEngineId=bytes.fromhex(user.engine_id),
            )
        ntfrcv.NotificationReceiver(eng, self._on_notification)
        eng.observer.register_observer(self._on_security_failure,
                                       "rfc3412.prepareDataElements:sm-failure")
        self._engine = eng
        await asyncio.sleep(0)  # let pysnmp's endpoint task attach the socket

    def _on_notification(self, eng: Any, state_ref: Any, _ctx_engine: Any, _ctx_name: Any,
                         varbinds: Any, _cb_ctx: Any) -> None:
        from provnet.pollers.snmp import plain_varbinds

        received = time.time()
        _, address = eng.message_dispatcher.get_transport_info(state_ref)
        try:
            event = parse_trap(str(address[0]), plain_varbinds(varbinds), received)
        except (TypeError, ValueError):  # a malformed trap never stops the receiver
            log.warning("unreadable trap from %s", address[0])
            event = None
        if event is None:
            self.ignored += 1
            return
        user = _usm_user(eng)
        if user is not None:
            event = replace(event, user=user)
        self.received += 1
        try:
            self.callback(event)
        except Exception:  # the receiver must outlive a failing consumer
            log.exception("trap callback failed for %s", event)

    def _on_security_failure(self, _eng: Any, _point: str, ctx: Mapping[str, Any],
                             _cb_ctx: Any) -> None:
        """An SNMPv3 message refused by USM (unknown user or engine, wrong digest, bad
        encryption): counted by reason and logged, never passed on."""
        info = ctx.get("statusInformation") or {}
        indication = info.get("errorIndication") if hasattr(info, "get") else None
        reason = type(indication).__name__ if indication is not None else "securityFailure"
        reason = reason[:1].lower() + reason[1:]
        self.refused[reason] = self.refused.get(reason, 0) + 1
        address = ctx.get("transportAddress")
        log.warning("SNMPv3 trap from %s refused (%s): not a configured user or bad keys",
                    address[0] if address else "?", reason)

    def close(self) -> None:
        """Stop listening."""
        if self._engine is not None:
            self._engine.close_dispatcher()
            self._engine = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
