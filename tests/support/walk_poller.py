"""``SnmpPoller``: a plain IF-MIB GETBULK walker on one shared pysnmp v1arch dispatcher.

It was the first poller of provnet (the "spine"); production polls with
:class:`provnet.pollers.engine.ProfilePoller`. It stays here as a reference peer for tests and
benchmarks (a full IF-MIB walk every cycle) and as a probe of how agents answer GETBULK.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterable, Sequence

from pysnmp.error import PySnmpError
from pysnmp.hlapi.v1arch.asyncio import (
    CommunityData,
    SnmpDispatcher,
    UdpTransportTarget,
    bulk_cmd,
)
from pysnmp.proto import errind, rfc1905

from provnet.pollers.errors import PollerError
from provnet.pollers.ifmib import (
    DEFAULT_COLUMNS,
    SYS_UPTIME,
    SYS_UPTIME_NEXT,
    Oid,
    VarBind,
    parse_bulk_rows,
    repetitions_for,
    scalar_value,
    split_response,
    walk_step,
)
from provnet.pollers.scheduler import poll_spread
from provnet.pollers.snmp import plain_varbinds
from provnet.pollers.types import PollResult, SnmpTarget

log = logging.getLogger(__name__)
_UNSPECIFIED = rfc1905.unSpecified


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
