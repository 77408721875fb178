"""FastV2cTransport: SNMPv2c GET/GETBULK for many devices over one asyncio UDP socket.

Requests are matched to answers by request-id and source address; each pending request has
one timer (``loop.call_later``) that resends it up to ``target.retries`` times and then fails
it with :class:`SnmpTimeout`. Encoding and decoding live in :mod:`pollers.fastv2c_ber`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import socket
from collections.abc import Sequence
from typing import Any

from provnet.pollers.fastv2c_ber import (
    Malformed,
    decode_header,
    decode_varbinds,
    encode_get,
    encode_get_bulk,
    error_status_name,
)
from provnet.pollers.ifmib import Oid, VarBind
from provnet.pollers.transport import SnmpResponseError, SnmpTimeout
from provnet.pollers.types import SnmpTarget

_MAX_REQUEST_ID = 2**31 - 1


class SnmpErrorStatus(SnmpResponseError):
    """The agent answered with a non-zero error-status (``status``, 1-based ``index``)."""

    def __init__(self, message: str, status: int, index: int) -> None:
        super().__init__(message)
        self.status = status
        self.index = index


class _Pending:
    __slots__ = ("address", "future", "handle", "packet", "target", "tries_left")

    def __init__(self, target: SnmpTarget, packet: bytes, future: asyncio.Future[list[VarBind]],
                 address: tuple[str, int]) -> None:
        self.target = target
        self.packet = packet
        self.future = future
        self.address = address
        self.tries_left = target.retries
        self.handle: asyncio.TimerHandle | None = None


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, owner: FastV2cTransport) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.owner._on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:
        # ICMP port-unreachable and the like: the pending request times out on its own.
        return


class FastV2cTransport:
    """SNMPv2c :class:`~pollers.transport.SnmpTransport` with a hand-written BER codec.

    One instance serves every target; create it inside the event loop that uses it.
    ``stray`` counts datagrams that matched no pending request (late, foreign or garbage).
    """

    def __init__(self, local_host: str = "0.0.0.0", rcvbuf_bytes: int = 8 << 20) -> None:
        self._local_host = local_host
        self._rcvbuf = rcvbuf_bytes
        self._transport: asyncio.DatagramTransport | None = None
        self._opening: asyncio.Future[None] | None = None
        self._pending: dict[int, _Pending] = {}
        self._hosts: dict[str, str] = {}  # target address -> IPv4 literal answers come from
        self._next_id = random.randrange(1, _MAX_REQUEST_ID)
        self.stray = 0
        self.sent = 0

    async def get(self, target: SnmpTarget, oids: Sequence[Oid]) -> list[VarBind]:
        """GET ``oids`` from ``target``."""
        rid = self._request_id()
        packet = encode_get(target.community.encode(), rid, oids)
        return await self._request(target, rid, packet)

    async def get_bulk(
        self,
        target: SnmpTarget,
        non_repeaters: Sequence[Oid],
        repeaters: Sequence[Oid],
        max_repetitions: int,
    ) -> list[VarBind]:
        """GETBULK from ``target``: non-repeaters, then up to ``max_repetitions`` rows."""
        rid = self._request_id()
        packet = encode_get_bulk(
            target.community.encode(), rid, non_repeaters, repeaters, max_repetitions
        )
        return await self._request(target, rid, packet)

    def close(self) -> None:
        """Close the socket and fail every pending request."""
        for pending in list(self._pending.values()):
            self._finish(pending, exc=SnmpTimeout("transport closed"))
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    # --- internals ------------------------------------------------------------------------

    def _request_id(self) -> int:
        rid = self._next_id
        while rid in self._pending:
            rid = rid % _MAX_REQUEST_ID + 1
        self._next_id = rid % _MAX_REQUEST_ID + 1
        return rid

    async def _open(self) -> asyncio.DatagramTransport:
        if self._transport is not None:
            return self._transport
        loop = asyncio.get_running_loop()
        if self._opening is None:
            self._opening = loop.create_future()
            try:
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self._rcvbuf)
                sock.bind((self._local_host, 0))
                sock.setblocking(False)
                transport, _ = await loop.create_datagram_endpoint(
                    lambda: _Protocol(self), sock=sock
                )
                self._transport = transport
                self._opening.set_result(None)
            except BaseException as exc:
                self._opening.set_exception(exc)
                self._opening = None
                raise
        else:
            await self._opening
        assert self._transport is not None
        return self._transport

    async def _request(self, target: SnmpTarget, rid: int, packet: bytes) -> list[VarBind]:
        transport = self._transport or await self._open()
        loop = asyncio.get_running_loop()
        host = self._hosts.get(target.address) or await self._resolve(target.address)
        address = (host, target.port)
        pending = _Pending(target, packet, loop.create_future(), address)
        self._pending[rid] = pending
        transport.sendto(packet, address)
        self.sent += 1
        pending.handle = loop.call_later(target.timeout_s, self._on_timer, rid)
        try:
            return await pending.future
        finally:
            if self._pending.get(rid) is pending:  # cancelled by the caller
                del self._pending[rid]
                if pending.handle is not None:
                    pending.handle.cancel()

    async def _resolve(self, name: str) -> str:
        """IPv4 literal of ``name`` (answers are matched on it); cached."""
        try:
            ip = ipaddress.ip_address(name)
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    name, None, family=socket.AF_INET, type=socket.SOCK_DGRAM)
            except OSError as exc:
                raise SnmpResponseError(f"cannot resolve {name!r}: {exc}") from exc
            ip = ipaddress.ip_address(infos[0][4][0])
        if ip.version != 4:
            raise SnmpResponseError(f"{name}: FastV2cTransport speaks IPv4 only")
        self._hosts[name] = str(ip)
        return str(ip)

    def _on_timer(self, rid: int) -> None:
        pending = self._pending.get(rid)
        if pending is None:
            return
        if pending.tries_left > 0 and self._transport is not None:
            pending.tries_left -= 1
            self._transport.sendto(pending.packet, pending.address)
            self.sent += 1
            loop = pending.future.get_loop()
            pending.handle = loop.call_later(pending.target.timeout_s, self._on_timer, rid)
            return
        del self._pending[rid]
        target = pending.target
        tries = target.retries + 1
        self._finish(pending, exc=SnmpTimeout(
            f"{target.name} ({target.address}:{target.port}): no answer after {tries} tries of "
            f"{target.timeout_s:g} s"
        ))

    def _on_datagram(self, data: bytes, addr: tuple[Any, ...]) -> None:
        try:
            header = decode_header(data)
        except SnmpResponseError:
            self.stray += 1
            return
        pending = self._pending.get(header.request_id)
        if pending is None or pending.address[1] != addr[1] or pending.address[0] != addr[0]:
            self.stray += 1
            return
        del self._pending[header.request_id]
        target = pending.target
        if header.error_status:
            self._finish(pending, exc=SnmpErrorStatus(
                f"{target.name}: {error_status_name(header.error_status)} at varbind "
                f"{header.error_index}", header.error_status, header.error_index,
            ))
            return
        try:
            varbinds = decode_varbinds(data, header.vb_start, header.vb_end)
        except Malformed as exc:
            self._finish(pending, exc=SnmpResponseError(f"{target.name}: {exc}"))
            return
        self._finish(pending, result=varbinds)

    @staticmethod
    def _finish(pending: _Pending, result: list[VarBind] | None = None,
                exc: Exception | None = None) -> None:
        if pending.handle is not None:
            pending.handle.cancel()
            pending.handle = None
        future = pending.future
        if future.done():
            return
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result or [])
