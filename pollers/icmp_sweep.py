"""One ICMP socket for a whole sweep: echo requests to every device, replies matched by id/seq.

One icmplib call per device means one raw socket per device, and the kernel hands every echo
reply to every raw socket: with 184 demo routers and 64 probes in flight a sweep cost 1.3
CPU-seconds and loopback RTTs read 300 ms. Here a single socket sends all requests (paced
at ``rate_pps``) and one reader matches each reply to its request, so the cost is one parse
per reply and an RTT is the time between ``send`` and the reply being read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import struct
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import icmplib
from icmplib.sockets import AsyncSocket, ICMPv4Socket

from provnet.pollers.errors import PollerError
from provnet.pollers.readings import IcmpReading

log = logging.getLogger(__name__)

ECHO_REPLY = 0
_MAX_SEQ = 65535
#: Linux SO_TIMESTAMP / SCM_TIMESTAMP (asm-generic, x86_64 and arm64); Python does not export it
SO_TIMESTAMP = 29
_TIMEVAL = struct.Struct("@ll")


class IcmpError(PollerError):
    """ICMP probing cannot work here (no permission for the socket type, address family)."""


@dataclass(frozen=True, slots=True)
class Echo:
    """One echo request that went out."""

    device_id: int
    address: str
    sent_at: float


@dataclass(frozen=True, slots=True)
class Reply:
    """One ICMP message read back: ``(id, sequence)`` name the request it answers."""

    ident: int
    sequence: int
    icmp_type: int
    received_at: float


@dataclass
class SweepLog:
    """What a sweep sent and read (the input of :func:`tally`)."""

    targets: list[tuple[int, str]] = field(default_factory=list)
    sent: dict[tuple[int, int], Echo] = field(default_factory=dict)
    failed_sends: dict[int, int] = field(default_factory=dict)  # device -> sends that failed
    replies: list[Reply] = field(default_factory=list)


def tally(targets: Sequence[tuple[int, str]], count: int, sent: Mapping[tuple[int, int], Echo],
          replies: Iterable[Reply], timeout_s: float,
          summarise: Callable[[str, int, Sequence[float]], IcmpReading]) -> dict[int, IcmpReading]:
    """Per device: ``count`` requests, RTTs of the echo replies that matched a request and came
    within ``timeout_s`` (late, duplicate, foreign and error replies do not count)."""
    rtts: dict[int, list[float]] = {device: [] for device, _ in targets}
    answered: set[tuple[int, int]] = set()
    for reply in replies:
        key = (reply.ident, reply.sequence)
        echo = sent.get(key)
        if echo is None or reply.icmp_type != ECHO_REPLY or key in answered:
            continue
        rtt_s = reply.received_at - echo.sent_at
        if 0 <= rtt_s <= timeout_s and echo.device_id in rtts:
            answered.add(key)
            rtts[echo.device_id].append(rtt_s * 1000.0)
    return {device: summarise(address, count, rtts[device]) for device, address in targets}


def parse_echo(packet: bytes) -> tuple[int, int, int] | None:
    """``(type, id, sequence)`` of an IPv4 packet carrying ICMP, else None."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    ihl = (packet[0] & 0x0F) * 4
    if len(packet) < ihl + 8:
        return None
    ident, seq = struct.unpack_from("!HH", packet, ihl + 4)
    return packet[ihl], ident, seq


def kernel_time(ancdata: Iterable[tuple[int, int, bytes]]) -> float | None:
    """The SO_TIMESTAMP receive time carried in ``recvmsg`` ancillary data, if any."""
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMP and len(data) >= _TIMEVAL.size:
            sec, usec = _TIMEVAL.unpack_from(data)
            return sec + usec / 1e6
    return None


class StampedReader:
    """A raw ICMP socket that only reads, with kernel receive timestamps (root, Linux).

    Raw sockets get a copy of every ICMP message, so this sees the replies to requests sent
    on the icmplib socket; the kernel's receive time makes RTTs independent of how busy the
    event loop is.
    """

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = replies
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
        self.sock.setblocking(False)

    def drain(self) -> None:
        """Read every message waiting on the socket."""
        while True:
            try:
                packet, anc, _flags, _addr = self.sock.recvmsg(2048, 256)
            except (BlockingIOError, InterruptedError):
                return
            parsed = parse_echo(packet)
            if parsed is not None:
                stamp = kernel_time(anc) or time.time()
                self.replies.append(Reply(parsed[1], parsed[2], parsed[0], stamp))

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


def _open(privileged: bool) -> AsyncSocket:
    try:
        return AsyncSocket(ICMPv4Socket(privileged=privileged))
    except icmplib.ICMPLibError as exc:
        raise IcmpError(f"cannot open an ICMP socket (privileged={privileged}): "
                             f"{exc}") from exc


class SocketSweeper:
    """Sends ``count`` echo requests to each target over one icmplib socket."""

    def __init__(self, privileged: bool, rate_pps: int) -> None:
        self.privileged = privileged
        self.rate_pps = max(1, rate_pps)

    async def run(self, targets: Sequence[tuple[int, str]], count: int, interval_s: float,
                  timeout_s: float) -> SweepLog:
        """Send, read until ``timeout_s`` after the last request, return what happened."""
        out = SweepLog(targets=list(targets))
        if not targets:
            return out
        # sequence numbers are unique within the sweep: chunk when they would run out
        per_chunk = max(1, _MAX_SEQ // max(1, count))
        for start in range(0, len(targets), per_chunk):
            await self._chunk(list(targets[start:start + per_chunk]), count, interval_s,
                              timeout_s, out)
        return out

    async def _chunk(self, targets: list[tuple[int, str]], count: int, interval_s: float,
                     timeout_s: float, out: SweepLog) -> None:
        sock = _open(self.privileged)
        stamped = self._stamped_reader(out.replies)
        if stamped is not None:
            try:
                await self._send_all(sock, targets, count, interval_s, out)
                await asyncio.sleep(timeout_s)
            finally:
                stamped.drain()
                asyncio.get_running_loop().remove_reader(stamped.sock.fileno())
                stamped.close()
                sock.close()
            return
        ident = random.randrange(1, 0xFFFF)
        sending = True
        last_send = time.time()

        async def reader() -> None:
            while sending or time.time() < last_send + timeout_s:
                wait = 0.2 if sending else max(0.001, last_send + timeout_s - time.time())
                try:
                    msg = await sock.receive(None, timeout=wait)
                except icmplib.TimeoutExceeded:
                    continue
                except icmplib.ICMPLibError as exc:
                    log.debug("icmp receive: %s", exc)
                    continue
                out.replies.append(Reply(msg.id, msg.sequence, msg.type, msg.time))

        task = asyncio.create_task(reader())
        try:
            await self._send_all(sock, targets, count, interval_s, out, ident)
            last_send = time.time()
            sending = False
            await task
        finally:
            sending = False
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            sock.close()

    def _stamped_reader(self, replies: list[Reply]) -> StampedReader | None:
        if not (self.privileged and sys.platform.startswith("linux")):
            return None
        try:
            reader = StampedReader(replies)
        except OSError as exc:
            log.debug("no kernel-stamped ICMP reader: %s", exc)
            return None
        asyncio.get_running_loop().add_reader(reader.sock.fileno(), reader.drain)
        return reader

    async def _send_all(self, sock: AsyncSocket, targets: list[tuple[int, str]], count: int,
                        interval_s: float, out: SweepLog, ident: int | None = None) -> None:
        ident = ident if ident is not None else random.randrange(1, 0xFFFF)
        seq = 0
        burst = max(1, self.rate_pps // 100)
        for rnd in range(count):
            if rnd:
                await asyncio.sleep(interval_s)
            for n, (device, address) in enumerate(targets):
                seq += 1
                await self._send(sock, ident, seq, device, address, out)
                if (n + 1) % burst == 0:
                    await asyncio.sleep(0.01)

    async def _send(self, sock: AsyncSocket, ident: int, seq: int, device: int, address: str,
                    out: SweepLog) -> None:
        request = icmplib.ICMPRequest(address, id=ident, sequence=seq)
        for attempt in range(3):
            try:
                sock.send(request)
            except icmplib.ICMPSocketError as exc:  # full send buffer, no route, ...
                if "temporarily" in str(exc) and attempt < 2:
                    await asyncio.sleep(0.005)
                    continue
                log.debug("icmp to %s: %s", address, exc)
                out.failed_sends[device] = out.failed_sends.get(device, 0) + 1
                return
            except icmplib.ICMPLibError as exc:  # bad address
                log.debug("icmp to %s: %s", address, exc)
                out.failed_sends[device] = out.failed_sends.get(device, 0) + 1
                return
            # datagram (unprivileged) sockets: the kernel replaced the id with the port
            out.sent[(request.id, seq)] = Echo(device, address, request.time)
            return
