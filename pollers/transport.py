"""The SNMP I/O boundary: one small protocol, implemented by pysnmp and by our own v2c codec.

Values follow :func:`pollers.snmp.plain_value`: ``int`` for every integer type (Integer32,
Counter32/64, Gauge32, TimeTicks), ``str`` for OCTET STRING / Opaque / IpAddress (raw bytes
decoded UTF-8 with ``errors="replace"``), dotted ``str`` for OBJECT IDENTIFIER values,
``None`` for NULL / noSuchObject / noSuchInstance, :data:`pollers.ifmib.END_OF_MIB` for
endOfMibView.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from provnet.pollers.errors import PollerError
from provnet.pollers.ifmib import Oid, VarBind
from provnet.pollers.types import SnmpTarget

__all__ = ["SnmpResponseError", "SnmpTimeout", "SnmpTransport"]


class SnmpTimeout(PollerError):
    """The agent did not answer within ``target.timeout_s`` after ``target.retries`` retries."""


class SnmpResponseError(PollerError):
    """The agent answered with an error-status, a malformed packet, or authentication failed."""


class SnmpTransport(Protocol):
    """Sends SNMP GET / GETBULK requests to one or many targets (one instance, many devices)."""

    async def get(self, target: SnmpTarget, oids: Sequence[Oid]) -> list[VarBind]:
        """GET ``oids``; the answer's varbinds in request order."""
        ...

    async def get_bulk(
        self,
        target: SnmpTarget,
        non_repeaters: Sequence[Oid],
        repeaters: Sequence[Oid],
        max_repetitions: int,
    ) -> list[VarBind]:
        """GETBULK: non-repeaters first, then up to ``max_repetitions`` rows of repeaters."""
        ...

    def close(self) -> None:
        """Release sockets and dispatchers; the transport is not used afterwards."""
        ...
