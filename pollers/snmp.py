"""pysnmp 7 at the SNMP boundary: ``PysnmpTransport`` (v2c and v3) for the poll engine.

This is the only module of provnet's poll path importing pysnmp.

Cheapest pysnmp pattern measured here: one v1arch ``SnmpDispatcher`` for the poller's lifetime,
raw OID tuples, ``lookupMib=False``, one GETBULK per device (sysUpTime as non-repeater, the
IF-MIB columns as repeaters), continued only for big tables or agents that cap responses.
Values become plain Python at this boundary; device failures are results, never exceptions.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from pyasn1.type import univ
from pysnmp.error import PySnmpError
from pysnmp.hlapi.v1arch import asyncio as v1
from pysnmp.hlapi.v1arch.asyncio import (
    CommunityData,
    SnmpDispatcher,
)
from pysnmp.hlapi.v3arch import asyncio as v3
from pysnmp.proto import errind, rfc1902, rfc1905

from provnet.pollers.ifmib import (
    END_OF_MIB,
    Oid,
    Value,
    VarBind,
)
from provnet.pollers.transport import SnmpResponseError, SnmpTimeout
from provnet.pollers.types import SnmpTarget, V3Credentials

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
