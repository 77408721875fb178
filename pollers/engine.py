"""The profile-driven poll engine: discovery when needed, cheap GETs otherwise, groups.

Per device and cycle (see :mod:`pollers.discovery` for the pure part):

1. known device: GET sysUpTime, ifTableLastChange, the poll groups' scalars and the
   counters/statuses of the known ifIndexes (explicit instance OIDs, ``max_get_varbinds``
   per request, requests sent concurrently) -- or, with ``method="bulk"``, one GETBULK
   bounded to the known rows;
2. first contact, reboot, ifTableLastChange moved, a row vanished, or the memo is older
   than the class's ``discovery_every_s``: walk the interface table (GETBULK);
3. walk the table columns of the profile's groups (``every: poll`` always, ``every:
   discovery`` only in discovery cycles) and turn them into readings with the group parsers.

Errors become results with ``error_kind`` (timeout/auth/protocol/unreachable/internal); a
group that fails is a warning, the interface data is kept. The whole device poll is bounded
by its time budget (class ``budget_s``, else derived from timeout and retries).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from provnet.pollers import discovery as dsc
from provnet.pollers.errors import PollerError
from provnet.pollers.groups import Group, group_data, parse_group
from provnet.pollers.ifmib import Oid, VarBind, in_subtree, walk_step
from provnet.pollers.oids import IF_NUMBER
from provnet.pollers.profiles import IF_ONLY, DeviceProfile
from provnet.pollers.readings import Reading
from provnet.pollers.snmp import PysnmpTransport, SnmpAuthError
from provnet.pollers.transport import SnmpResponseError, SnmpTimeout, SnmpTransport
from provnet.pollers.types import IfSample, PollResult, SnmpTarget

log = logging.getLogger(__name__)

ProfileFor = Callable[[int], DeviceProfile]
PollMethod = Literal["get", "bulk"]


class _Tally:
    __slots__ = ("requests", "varbinds")

    def __init__(self) -> None:
        self.requests = 0
        self.varbinds = 0


@dataclass(slots=True)
class _Outcome:
    uptime: int | None = None
    interfaces: dict[int, IfSample] = field(default_factory=dict)
    readings: list[Reading] = field(default_factory=list)
    discovered: str | None = None
    warnings: list[str] = field(default_factory=list)


def default_transport(version: str) -> SnmpTransport:
    """Our fast v2c codec for v2c when available, pysnmp otherwise and for v3."""
    if version == "2c":
        try:
            from provnet.pollers.fastv2c import FastV2cTransport
        except ImportError:  # pragma: no cover - fallback when the fast codec is absent
            return PysnmpTransport()
        return FastV2cTransport()
    return PysnmpTransport()


def error_kind(exc: BaseException) -> str:
    """Category of a device failure for ``PollResult.error_kind`` and the metrics."""
    if isinstance(exc, SnmpAuthError):
        return "auth"
    if isinstance(exc, SnmpTimeout | TimeoutError):
        return "timeout"
    if isinstance(exc, SnmpResponseError):
        return "protocol"
    if isinstance(exc, OSError):
        return "unreachable"
    return "internal"


def _too_big(exc: SnmpResponseError) -> bool:
    """The agent's answer would exceed its maximum message size (error-status tooBig = 1)."""
    return getattr(exc, "status", None) == 1 or "tooBig" in str(exc)


def _error_text(exc: BaseException) -> str:
    """Short, stable error text (the device is in the tags; never a secret)."""
    if isinstance(exc, SnmpTimeout):
        return "timeout"
    if isinstance(exc, TimeoutError):
        return "deadline exceeded"  # the device's time budget ran out
    if isinstance(exc, PollerError) and str(exc):
        return str(exc)
    return exc.__class__.__name__


class ProfilePoller:
    """Polls devices by their :class:`DeviceProfile` (``poll``, ``poll_many``, ``close``).

    ``profile_for(device_id)`` gives each device's profile (default: interfaces only).
    Transports are created per SNMP version on first use (``transport_factory``) and shared
    by all devices; create and use the poller in one event loop.
    """

    #: rows per column assumed for a device's first group walk (sizes the first GETBULK)
    GROUP_ROWS_GUESS = 8
    #: requests in flight to one device at once (the GET chunks of a big device)
    PARALLEL_REQUESTS = 4

    def __init__(self, profile_for: ProfileFor | None = None, *,
                 transport_factory: Callable[[str], SnmpTransport] = default_transport,
                 method: PollMethod = "get", max_get_varbinds: int = 64,
                 max_bulk_varbinds: int = 256, max_requests: int = 200,
                 clock: Callable[[], float] = time.time) -> None:
        if max_get_varbinds < 1 or max_bulk_varbinds < 1 or max_requests < 1:
            raise PollerError("max_get_varbinds, max_bulk_varbinds, max_requests must be >= 1")
        self._profile_for = profile_for or (lambda _id: IF_ONLY)
        self._factory = transport_factory
        self._transports: dict[str, SnmpTransport] = {}
        self.method = method
        self._max_get = max_get_varbinds
        self._max_bulk = max_bulk_varbinds
        self._max_requests = max_requests
        self._clock = clock
        self.memos: dict[int, dsc.DeviceMemo] = {}
        self._get_size: dict[int, int] = {}  # device -> GET chunk size its agent accepts

    # --- lifecycle ------------------------------------------------------------------------
    def transport(self, version: str) -> SnmpTransport:
        """The shared transport of one SNMP version."""
        t = self._transports.get(version)
        if t is None:
            t = self._transports[version] = self._factory(version)
        return t

    def close(self) -> None:
        """Close every transport."""
        transports, self._transports = self._transports, {}
        for t in transports.values():
            t.close()

    async def __aenter__(self) -> ProfilePoller:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def deadline_for(target: SnmpTarget, profile: DeviceProfile = IF_ONLY) -> float:
        """Time budget of one device poll, in seconds."""
        if profile.budget_s is not None:
            return profile.budget_s
        return 3.0 * target.timeout_s * (target.retries + 1) + 1.0

    # --- requests -------------------------------------------------------------------------
    async def _get(self, target: SnmpTarget, oids: Sequence[Oid], tally: _Tally) -> list[VarBind]:
        """GET ``oids`` in chunks; a chunk the agent finds tooBig is halved (and remembered).

        Agents with a small maximum message (Cisco IOS ``snmp-server packetsize`` is 1,500
        bytes by default) answer tooBig to a large GET instead of a partial answer.
        """
        transport = self.transport(target.version)
        size = self._get_size.get(target.device_id, self._max_get)
        parts = dsc.chunks(oids, size)
        sem = asyncio.Semaphore(self.PARALLEL_REQUESTS)

        async def one(part: list[Oid]) -> list[VarBind]:
            async with sem:  # a big device must not be flooded with requests
                tally.requests += 1
                try:
                    return await transport.get(target, part)
                except SnmpResponseError as exc:
                    if not _too_big(exc) or len(part) < 2:
                        raise
            half = len(part) // 2
            self._get_size[target.device_id] = min(
                half, self._get_size.get(target.device_id, self._max_get))
            first, second = await asyncio.gather(one(part[:half]), one(part[half:]))
            return first + second

        answers = await asyncio.gather(*(one(p) for p in parts))
        out = [vb for answer in answers for vb in answer]
        tally.varbinds += len(out)
        return out

    async def _walk(self, target: SnmpTarget, columns: Sequence[Oid], tally: _Tally,
                    start: Sequence[Oid] | None = None, reps: int | None = None,
                    once: bool = False, rows_hint: int | None = None) -> list[VarBind]:
        """GETBULK walk of ``columns`` (optionally from ``start`` OIDs); in-subtree varbinds.

        ``rows_hint`` (expected rows per column) sizes the first request to ``hint + 1``
        repetitions, so a small table does not make the agent answer hundreds of varbinds
        from the columns after it.
        """
        transport = self.transport(target.version)
        request: dict[Oid, Oid] = dict(zip(columns, start or columns, strict=True))
        rows: list[VarBind] = []
        for n_req in range(self._max_requests):
            n = reps or max(1, self._max_bulk // len(request))
            if n_req == 0 and rows_hint is not None and reps is None:
                n = max(1, min(n, rows_hint + 1))
            tally.requests += 1
            answer = await transport.get_bulk(target, [], list(request.values()), n)
            tally.varbinds += len(answer)
            step = walk_step(request, answer)
            rows.extend(step.rows)
            if once or not step.pending:
                return rows
            if not step.progressed:
                raise SnmpResponseError("bad response: walk made no progress")
            request = step.pending
        raise SnmpResponseError(f"table too big: over {self._max_requests} requests")

    # --- one device -----------------------------------------------------------------------
    async def _counters(self, target: SnmpTarget, memo: dsc.DeviceMemo, extra: list[Oid],
                        tally: _Tally) -> tuple[list[VarBind], dict[int, IfSample], bool]:
        """Regular cycle: scalars + known rows; returns (scalar varbinds, samples, vanished)."""
        if self.method == "bulk" and memo.ifaces:
            cols = sorted({c for m in memo.ifaces.values()
                           for c in (dsc.IF_HC_IN_OCTETS, dsc.IF_HC_OUT_OCTETS) if m.hc}
                          | {c for m in memo.ifaces.values()
                             for c in (dsc.IF_IN_OCTETS, dsc.IF_OUT_OCTETS) if not m.hc})
            cols += list(dsc.POLL_COLUMNS)
            first = min(memo.ifaces)
            n = len(memo.ifaces)
            fits = n * len(cols) <= self._max_bulk  # one exact GETBULK, else walk the columns
            scalars, rows = await asyncio.gather(
                self._get(target, [*dsc.SCALARS, *extra], tally),
                self._walk(target, cols, tally, [(*c, first - 1) for c in cols],
                           reps=n if fits else None, once=fits))
            samples, vanished = dsc.parse_poll(memo, rows)
            return scalars, samples, vanished
        answer = await self._get(target, [*dsc.SCALARS, *extra, *dsc.poll_oids(memo)], tally)
        samples, vanished = dsc.parse_poll(memo, answer)
        return answer, samples, vanished

    async def _groups(self, target: SnmpTarget, groups: Sequence[Group],
                      scalar_vbs: list[VarBind], out: _Outcome, tally: _Tally,
                      memo: dsc.DeviceMemo) -> None:
        columns: list[Oid] = []
        for g in groups:
            for col in g.columns.values():
                if col not in columns and not any(in_subtree(col, c) for c in columns):
                    columns.append(col)
        rows: list[VarBind] = []
        if columns:
            try:
                rows = await self._walk(target, columns, tally,
                                        rows_hint=memo.group_rows or self.GROUP_ROWS_GUESS)
                memo.group_rows = dsc.most_rows(columns, rows)
            except (SnmpTimeout, SnmpResponseError) as exc:
                out.warnings.append(f"groups {','.join(g.name for g in groups)}: {exc}")
                return
        for g in groups:
            try:
                out.readings.extend(parse_group(g, group_data(g, [*scalar_vbs, *rows])))
            except Exception as exc:  # a parser bug must not lose the interface data
                log.warning("group %s on %s failed", g.name, target.name, exc_info=True)
                out.warnings.append(f"group {g.name}: {exc.__class__.__name__}")

    async def _poll(self, target: SnmpTarget, prof: DeviceProfile, tally: _Tally) -> _Outcome:
        out = _Outcome()
        now = self._clock()
        memo = self.memos.get(target.device_id)
        extra = [oid for g in prof.groups for oid in g.scalars.values()]
        samples: dict[int, IfSample] = {}
        vanished = False
        if memo is not None and prof.interfaces:
            scalar_vbs, samples, vanished = await self._counters(target, memo, extra, tally)
        else:
            scalar_vbs = await self._get(target, [*dsc.SCALARS, IF_NUMBER, *extra], tally)
        uptime, last_change = dsc.scalars_of(scalar_vbs)
        out.uptime = uptime
        reason = dsc.rediscovery_reason(memo, now, uptime, last_change, prof.discovery_every_s)
        if reason is None and vanished:
            reason = "interface vanished"
        if reason is not None:
            hint = dsc.int_of(IF_NUMBER, scalar_vbs) if memo is None else len(memo.ifaces)
            memo = dsc.DeviceMemo(discovered_at=now,
                                  group_rows=memo.group_rows if memo else None)
            if prof.interfaces:
                metas, samples = dsc.parse_discovery(
                    await self._walk(target, dsc.DISCOVERY_COLUMNS, tally, rows_hint=hint))
                memo.ifaces = metas
            out.discovered = reason
        assert memo is not None
        memo.uptime, memo.last_change = uptime, last_change
        self.memos[target.device_id] = memo
        out.interfaces = samples
        groups = [g for g in prof.groups if g.every == "poll" or reason is not None]
        if groups:
            await self._groups(target, groups, scalar_vbs, out, tally, memo)
        return out

    async def poll(self, target: SnmpTarget) -> PollResult:
        """Poll one device by its profile; failures become ``error``/``error_kind``."""
        started = time.time()
        t0 = time.perf_counter()
        tally = _Tally()
        prof = self._profile_for(target.device_id)
        try:
            out = await asyncio.wait_for(self._poll(target, prof, tally),
                                         self.deadline_for(target, prof))
        except Exception as exc:
            kind = error_kind(exc)
            if kind == "internal":
                log.warning("poll of %s failed unexpectedly", target.name, exc_info=True)
            log.debug("poll of %s failed: %s", target.name, exc)
            text = _error_text(exc)
            return PollResult(target, started, time.perf_counter() - t0, varbinds=tally.varbinds,
                              requests=tally.requests, error=text, error_kind=kind)
        return PollResult(target, started, time.perf_counter() - t0, sys_uptime_ticks=out.uptime,
                          interfaces=out.interfaces, varbinds=tally.varbinds,
                          requests=tally.requests, readings=tuple(out.readings),
                          discovered=out.discovered, warnings=tuple(out.warnings))

    def forget(self, keep: set[int]) -> None:
        """Drop the memos of devices not in ``keep``."""
        for device in [d for d in self.memos if d not in keep]:
            del self.memos[device]
            self._get_size.pop(device, None)
