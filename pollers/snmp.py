"""pysnmp 7 at the SNMP boundary: ``PysnmpTransport`` (v2c and v3) and the IF-MIB ``SnmpPoller``.

This is the only module of provnet's poll path importing pysnmp.

Cheapest pysnmp pattern measured here: one v1arch ``SnmpDispatcher`` for the poller's lifetime,
raw OID tuples, ``lookupMib=False``, one GETBULK per device (sysUpTime as non-repeater, the
IF-MIB columns as repeaters), continued only for big tables or agents that cap responses.
Values become plain Python at this boundary; device failures are results, never exceptions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from pyasn1.type import univ
from pysnmp.error import PySnmpError
from pysnmp.hlapi.v1arch import asyncio as v1
from pysnmp.hlapi.v1arch.asyncio import (
    CommunityData,
    SnmpDispatcher,
    UdpTransportTarget,
    bulk_cmd,
)
from pysnmp.hlapi.v3arch import asyncio as v3
from pysnmp.proto import errind, rfc1902, rfc1905

from provnet.pollers.errors import PollerError
from provnet.pollers.ifmib import (
    DEFAULT_COLUMNS,
    END_OF_MIB,
    SYS_UPTIME,
    SYS_UPTIME_NEXT,
    Oid,
    Value,
    VarBind,
    parse_bulk_rows,
    repetitions_for,
    scalar_value,
    split_response,
    walk_step,
)
from provnet.pollers.scheduler import poll_spread
from provnet.pollers.transport import SnmpResponseError, SnmpTimeout
from provnet.pollers.types import PollResult, SnmpTarget, V3Credentials

log = logging.getLogger(__name__)

_UNSPECIFIED = rfc1905.unSpecified


def plain_value(value: Any) -> Value:
    """pysnmp/pyasn1 value -> ``int`` / ``str`` / ``None`` / ``END_OF_MIB``."""
    if isinstance(value, rfc1905.EndOfMibView):
        return END_OF_MIB
    if isinstance(value, univ.Null):  # noSuchObject/noSuchInstance (Null is an OctetString)
        return None
    if isinstance(value, univ.Integer):  # Integer32, Counter32/64, Gauge32, TimeTicks
        return int(value)
    if isinstance(value, univ.OctetString):  # OctetString, Opaque, IpAddress
        return value.asOctets().decode("utf-8", "replace")
    if isinstance(value, univ.ObjectIdentifier):
        return ".".join(map(str, value.asTuple()))
    return None  # noSuchObject, noSuchInstance, Null


def plain_varbinds(varbinds: Iterable[Any]) -> list[VarBind]:
    """pysnmp ``(ObjectName, value)`` pairs -> ``(oid tuple, plain value)`` pairs."""
    return [(oid.asTuple(), plain_value(value)) for oid, value in varbinds]


class SnmpAuthError(SnmpResponseError):
    """SNMPv3 authentication/privacy failed (wrong key, unknown user, unsupported level)."""


_AUTH_ERRORS: tuple[type, ...] = (
    errind.WrongDigest, errind.UnknownUserName, errind.UnknownSecurityName,
    errind.UnsupportedSecurityLevel, errind.DecryptionError, errind.AuthenticationFailure,
    errind.AuthenticationError, errind.NotInTimeWindow, errind.UnknownEngineID,
)
_AUTH_PROTOCOLS: dict[str, Any] = {
    "none": v3.USM_AUTH_NONE, "MD5": v3.USM_AUTH_HMAC96_MD5, "SHA": v3.USM_AUTH_HMAC96_SHA,
    "SHA224": v3.USM_AUTH_HMAC128_SHA224, "SHA256": v3.USM_AUTH_HMAC192_SHA256,
    "SHA384": v3.USM_AUTH_HMAC256_SHA384, "SHA512": v3.USM_AUTH_HMAC384_SHA512,
}
_PRIV_PROTOCOLS: dict[str, Any] = {
    "none": v3.USM_PRIV_NONE, "DES": v3.USM_PRIV_CBC56_DES, "3DES": v3.USM_PRIV_CBC168_3DES,
    "AES": v3.USM_PRIV_CFB128_AES, "AES128": v3.USM_PRIV_CFB128_AES,
    "AES192": v3.USM_PRIV_CFB192_AES, "AES256": v3.USM_PRIV_CFB256_AES,
}
#: Names accepted in profiles for ``auth_protocol`` / ``priv_protocol``.
AUTH_PROTOCOLS: tuple[str, ...] = tuple(_AUTH_PROTOCOLS)
PRIV_PROTOCOLS: tuple[str, ...] = tuple(_PRIV_PROTOCOLS)


def _raise_for(err_ind: Any, err_status: Any, err_index: Any) -> None:
    """Translate pysnmp's error indication / error-status into transport errors."""
    if err_ind:
        if isinstance(err_ind, errind.RequestTimedOut):
            raise SnmpTimeout("timeout")
        if isinstance(err_ind, _AUTH_ERRORS):
            raise SnmpAuthError(f"auth: {err_ind}")
        raise SnmpResponseError(f"snmp: {err_ind}")
    if err_status and int(err_status):
        raise SnmpResponseError(f"error-status {err_status.prettyPrint()} at {int(err_index)}")


class PysnmpTransport:
    """:class:`pollers.transport.SnmpTransport` on pysnmp 7: v2c (v1arch), v3 USM (v3arch).

    One dispatcher / engine each for the transport's lifetime; create and use it in one event
    loop. v3 targets need ``target.v3``; keys shorter than 8 characters are refused by pysnmp
    (reported as :class:`SnmpAuthError`).
    """

    def __init__(self) -> None:
        self._dispatcher: SnmpDispatcher | None = None
        self._engine: v3.SnmpEngine | None = None
        self._targets: dict[tuple[str, int, float, int, bool], Any] = {}
        self._communities: dict[str, CommunityData] = {}
        self._users: dict[V3Credentials, v3.UsmUserData] = {}

    async def _endpoint(self, target: SnmpTarget, is_v3: bool) -> Any:
        key = (target.address, target.port, target.timeout_s, target.retries, is_v3)
        endpoint = self._targets.get(key)
        if endpoint is None:
            cls = v3.UdpTransportTarget if is_v3 else v1.UdpTransportTarget
            try:
                endpoint = await cls.create((target.address, target.port),
                                            timeout=target.timeout_s, retries=target.retries)
            except PySnmpError as exc:
                raise SnmpResponseError(f"unresolvable address {target.address!r}") from exc
            self._targets[key] = endpoint
        return endpoint

    def _user(self, creds: V3Credentials) -> v3.UsmUserData:
        user = self._users.get(creds)
        if user is None:
            for proto, key, what in ((creds.auth_protocol, creds.auth_key, "auth"),
                                     (creds.priv_protocol, creds.priv_key, "priv")):
                if proto != "none" and len(key) < 8:
                    raise SnmpAuthError(f"bad v3 credentials: {what} key shorter than 8")
            try:
                auth = _AUTH_PROTOCOLS[creds.auth_protocol]
                priv = _PRIV_PROTOCOLS[creds.priv_protocol]
                user = v3.UsmUserData(
                    creds.user, creds.auth_key or None, creds.priv_key or None,
                    authProtocol=auth, privProtocol=priv)
            except (KeyError, PySnmpError) as exc:
                raise SnmpAuthError(f"bad v3 credentials: {exc.__class__.__name__}") from exc
            self._users[creds] = user
        return user

    async def _call(self, target: SnmpTarget, bulk: tuple[int, int] | None,
                    oids: Sequence[Oid]) -> list[VarBind]:
        try:
            if target.version == "3":
                if target.v3 is None:
                    raise SnmpAuthError("v3 target without credentials")
                if self._engine is None:
                    self._engine = v3.SnmpEngine()
                endpoint = await self._endpoint(target, True)
                vbs = [(oid, rfc1902.Null()) for oid in oids]
                user, ctx = self._user(target.v3), v3.ContextData()
                if bulk is None:
                    res = await v3.get_cmd(self._engine, user, endpoint, ctx, *vbs,
                                           lookupMib=False)
                else:
                    res = await v3.bulk_cmd(self._engine, user, endpoint, ctx, *bulk, *vbs,
                                            lookupMib=False)
            else:
                if self._dispatcher is None:
                    self._dispatcher = SnmpDispatcher()
                endpoint = await self._endpoint(target, False)
                auth = self._communities.get(target.community)
                if auth is None:
                    auth = self._communities[target.community] = CommunityData(
                        target.community, mpModel=1)
                vbs = [(oid, _UNSPECIFIED) for oid in oids]
                if bulk is None:
                    res = await v1.get_cmd(self._dispatcher, auth, endpoint, *vbs,
                                           lookupMib=False)
                else:
                    res = await v1.bulk_cmd(self._dispatcher, auth, endpoint, *bulk, *vbs,
                                            lookupMib=False)
        except PySnmpError as exc:
            raise SnmpResponseError(f"snmp: {exc.__class__.__name__}: {exc}") from exc
        err_ind, err_status, err_index, response = res
        _raise_for(err_ind, err_status, err_index)
        return plain_varbinds(response)

    async def get(self, target: SnmpTarget, oids: Sequence[Oid]) -> list[VarBind]:
        """GET ``oids``; the answer's varbinds in request order."""
        return await self._call(target, None, oids)

    async def get_bulk(self, target: SnmpTarget, non_repeaters: Sequence[Oid],
                       repeaters: Sequence[Oid], max_repetitions: int) -> list[VarBind]:
        """GETBULK: non-repeaters first, then up to ``max_repetitions`` rows of repeaters."""
        return await self._call(target, (len(non_repeaters), max_repetitions),
                                [*non_repeaters, *repeaters])

    def close(self) -> None:
        """Close the dispatcher and the engine (pending requests are dropped)."""
        dispatcher, self._dispatcher = self._dispatcher, None
        engine, self._engine = self._engine, None
        self._targets.clear()
        with contextlib.suppress(Exception):  # pending callbacks may complain on close
            if dispatcher is not None:
                dispatcher.close()
        with contextlib.suppress(Exception):
            if engine is not None:
                engine.close_dispatcher()


class _PollFailed(Exception):
    """A device-level failure, turned into ``PollResult.error`` (never leaves this module)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class _Tally:
    """Requests sent and varbinds received by one poll, kept even when it fails midway."""

    __slots__ = ("requests", "varbinds")

    def __init__(self) -> None:
        self.requests = 0
        self.varbinds = 0


class SnmpPoller:
    """Polls IF-MIB of SNMPv2c devices with one shared pysnmp dispatcher.

    ``max_repetitions`` is used until a device's table size is known; afterwards each device
    is asked for ``rows + 1`` repetitions (up to ``max_repetitions_cap``) so that it is read in
    a single request. ``deadline_s`` bounds a whole multi-request walk of one device (default:
    ``2 * timeout_s * (retries + 1) + 1`` of the target). Create and use it in one event loop.
    """

    def __init__(
        self,
        columns: Sequence[Oid] = DEFAULT_COLUMNS,
        max_repetitions: int = 8,
        max_repetitions_cap: int = 25,
        deadline_s: float | None = None,
        max_requests: int = 64,
    ) -> None:
        if not columns:
            raise PollerError("at least one column is required")
        if max_repetitions < 1 or max_repetitions_cap < 1 or max_requests < 1:
            raise PollerError("max_repetitions, max_repetitions_cap and max_requests must be >= 1")
        self._columns: tuple[Oid, ...] = tuple(columns)
        self._max_repetitions = max_repetitions
        self._cap = max_repetitions_cap
        self._deadline_s = deadline_s
        self._max_requests = max_requests
        self._dispatcher: SnmpDispatcher | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._transports: dict[tuple[str, int, float, int], UdpTransportTarget] = {}
        self._auth: dict[str, CommunityData] = {}
        self._rows: dict[tuple[str, int], int] = {}

    # --- lifecycle ------------------------------------------------------------------------

    def _get_dispatcher(self) -> SnmpDispatcher:
        loop = asyncio.get_running_loop()
        if self._dispatcher is None or self._loop is not loop:
            if self._dispatcher is not None:
                self.close()
            self._dispatcher = SnmpDispatcher()
            self._loop = loop
        return self._dispatcher

    def close(self) -> None:
        """Close the UDP socket and the dispatcher (pending requests are dropped)."""
        dispatcher, self._dispatcher, self._loop = self._dispatcher, None, None
        self._transports.clear()
        if dispatcher is not None:
            try:
                dispatcher.close()
            except Exception:  # pysnmp calls pending callbacks on close; they may complain
                log.debug("error while closing the SNMP dispatcher", exc_info=True)

    async def __aenter__(self) -> SnmpPoller:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    # --- polling ---------------------------------------------------------------------------

    def deadline_for(self, target: SnmpTarget) -> float:
        """Overall time budget of one device walk, in seconds."""
        if self._deadline_s is not None:
            return self._deadline_s
        return 2.0 * target.timeout_s * (target.retries + 1) + 1.0

    async def _transport(self, target: SnmpTarget) -> UdpTransportTarget:
        key = (target.address, target.port, target.timeout_s, target.retries)
        transport = self._transports.get(key)
        if transport is None:
            try:
                transport = await UdpTransportTarget.create(
                    (target.address, target.port),
                    timeout=target.timeout_s,
                    retries=target.retries,
                )
            except PySnmpError as exc:
                raise _PollFailed("unresolvable address") from exc
            self._transports[key] = transport
        return transport

    def _community(self, community: str) -> CommunityData:
        auth = self._auth.get(community)
        if auth is None:
            auth = self._auth[community] = CommunityData(community, mpModel=1)
        return auth

    async def _walk(
        self, target: SnmpTarget, tally: _Tally
    ) -> tuple[int | None, list[VarBind]]:
        """GETBULK until every column is finished; returns (sysUpTime, table varbinds)."""
        dispatcher = self._get_dispatcher()
        transport = await self._transport(target)
        auth = self._community(target.community)
        known_rows = self._rows.get((target.address, target.port))
        request: dict[Oid, Oid] = {col: col for col in self._columns}
        accepted = dict.fromkeys(self._columns, 0)
        rows: list[VarBind] = []
        uptime: int | None = None
        for n in range(self._max_requests):
            first = n == 0
            remaining = None  # unknown or outgrown table: default / cap repetitions
            if known_rows is not None:
                seen = min(accepted[col] for col in request)
                if seen < known_rows:
                    remaining = known_rows - seen
            default = self._max_repetitions if first else self._cap
            reps = repetitions_for(remaining, default, self._cap)
            varbinds = [(oid, _UNSPECIFIED) for oid in request.values()]
            if first:
                varbinds.insert(0, (SYS_UPTIME_NEXT, _UNSPECIFIED))
            tally.requests += 1
            err_ind, err_status, err_index, response = await bulk_cmd(
                dispatcher, auth, transport, 1 if first else 0, reps, *varbinds, lookupMib=False
            )
            if err_ind:
                if isinstance(err_ind, errind.RequestTimedOut):
                    raise _PollFailed("timeout")
                raise _PollFailed(f"snmp: {err_ind}")
            if err_status and int(err_status):
                name = err_status.prettyPrint()
                raise _PollFailed(f"error-status {name} at {int(err_index)}")
            plain = plain_varbinds(response)
            tally.varbinds += len(plain)
            if first:
                scalars, plain = split_response(1, plain)
                uptime = scalar_value(SYS_UPTIME, scalars)
            step = walk_step(request, plain)
            rows.extend(step.rows)
            for col, count in step.accepted.items():
                accepted[col] += count
            if not step.pending:
                return uptime, rows
            if not step.progressed:
                raise _PollFailed("bad response: no progress")
            request = step.pending
        raise _PollFailed(f"table too big: over {self._max_requests} requests")

    async def poll(self, target: SnmpTarget) -> PollResult:
        """Read sysUpTime and the IF-MIB columns of one device; errors become ``error``."""
        started = time.time()
        t0 = time.perf_counter()
        tally = _Tally()
        error: str
        if not 0 < target.port < 65536:
            return PollResult(target, started, time.perf_counter() - t0, error="bad target: port")
        try:
            uptime, rows = await asyncio.wait_for(
                self._walk(target, tally), self.deadline_for(target)
            )
        except _PollFailed as exc:
            error = exc.error
        except TimeoutError:
            error = "deadline exceeded"
        except (OSError, PySnmpError) as exc:
            error = f"unreachable: {exc.__class__.__name__}"
        except Exception as exc:  # a malformed answer must not stop the other devices
            log.warning("poll of %s failed unexpectedly", target.name, exc_info=True)
            error = f"bad response: {exc.__class__.__name__}"
        else:
            interfaces = parse_bulk_rows(self._columns, rows)
            self._rows[(target.address, target.port)] = len(interfaces)
            return PollResult(
                target=target,
                started=started,
                duration_s=time.perf_counter() - t0,
                sys_uptime_ticks=uptime,
                interfaces=interfaces,
                varbinds=tally.varbinds,
                requests=tally.requests,
            )
        return PollResult(
            target=target,
            started=started,
            duration_s=time.perf_counter() - t0,
            varbinds=tally.varbinds,
            error=error,
            requests=tally.requests,
        )

    def poll_many(
        self, targets: Iterable[SnmpTarget], concurrency: int = 32
    ) -> AsyncIterator[PollResult]:
        """Poll ``targets`` with at most ``concurrency`` in flight; yield results as they end.

        A slow or dead device only holds its own slot. Closing the iterator early cancels the
        polls not yet finished (``pollers.scheduler.poll_spread`` without a spread).
        """
        return poll_spread(self, targets, concurrency)
