"""Device health (CPU, memory, uptime, temperature) from SNMP (pure parsers).

* HOST-RESOURCES-MIB: CPU = mean ``hrProcessorLoad`` over processors (1-minute average,
  per RFC 2790); memory = ``hrStorageUsed / hrStorageSize`` of the ``hrStorageRam`` row(s),
  bytes = size x ``hrStorageAllocationUnits``; uptime = ``hrSystemUptime`` (host) else
  ``sysUpTime`` (agent).
* UCD-SNMP-MIB (net-snmp on Linux): CPU = 100 - ``ssCpuIdle``; memory used = total - available
  - buffers - cached (kB, like ``free``: page cache is not "used"); temperature = hottest
  ``lmTempSensorsValue`` (milli-degC) when lm-sensors is there.
* HUAWEI-ENTITY-EXTENT-MIB ``hwEntityStateTable`` (index entPhysicalIndex): boards with
  memory (``hwEntityMemSize`` bytes or ``hwEntityMemSizeMega`` MB > 0) count; CPU = the busiest
  board's ``hwEntityCpuUsage``; memory = size-weighted ``hwEntityMemUsage``; temperature =
  hottest ``hwEntityTemperature``.
* CISCO-PROCESS-MIB ``cpmCPUTotalTable``: CPU = busiest ``cpmCPUTotal5minRev``; memory from
  ``cpmCPUMemoryUsed``/``Free`` (kB) or else CISCO-MEMORY-POOL-MIB pools (bytes); temperature
  = hottest CISCO-ENVMON-MIB ``ciscoEnvMonTemperatureStatusValue``.
"""

from __future__ import annotations

from collections.abc import Iterable

from provnet.pollers.readings import GroupData, HealthReading, Reading, as_int, as_text

HR_STORAGE_RAM = "1.3.6.1.2.1.25.2.1.2"
_TICKS_PER_S = 100.0


def _ints(data: GroupData, column: str) -> dict[tuple[int, ...], int]:
    return {i: n for i, v in data.column(column).items() if (n := as_int(v)) is not None}


def _pct(used: float, total: float) -> float | None:
    return None if total <= 0 else round(100.0 * used / total, 2)


def _uptime(data: GroupData, *names: str) -> float | None:
    for name in names:
        ticks = as_int(data.scalars.get(name))
        if ticks is not None and ticks >= 0:
            return ticks / _TICKS_PER_S
    return None


def _hottest(values: Iterable[float]) -> float | None:
    # 0 and negative readings are absent sensors on these platforms, not frost
    plausible = [v for v in values if 0 < v < 200]
    return round(max(plausible), 2) if plausible else None


def parse_host_resources(data: GroupData) -> list[Reading]:
    """HOST-RESOURCES-MIB: ``cpu_load`` column, hrStorage columns, uptime scalars."""
    loads = list(_ints(data, "cpu_load").values())
    cpu = round(sum(loads) / len(loads), 2) if loads else None
    units, sizes, used = _ints(data, "storage_units"), _ints(data, "storage_size"), _ints(
        data, "storage_used"
    )
    total_bytes = used_bytes = 0
    for idx, kind in data.column("storage_type").items():
        if (as_text(kind) or "").lstrip(".") != HR_STORAGE_RAM:
            continue
        if idx in sizes and idx in used and units.get(idx, 0) > 0:
            total_bytes += sizes[idx] * units[idx]
            used_bytes += used[idx] * units[idx]
    reading = HealthReading(
        cpu_pct=cpu,
        mem_used_pct=_pct(used_bytes, total_bytes),
        mem_total_bytes=total_bytes or None,
        uptime_s=_uptime(data, "hr_uptime", "sys_uptime"),
    )
    return [reading]


def parse_ucd(data: GroupData) -> list[Reading]:
    """UCD-SNMP-MIB scalars (``cpu_idle``, ``mem_total``, ``mem_avail``, ``mem_buffer``,
    ``mem_cached`` in kB) and the optional ``lm_temp`` column (milli-degC)."""
    idle = as_int(data.scalars.get("cpu_idle"))
    total = as_int(data.scalars.get("mem_total"))
    mem_pct = None
    if total:
        free = sum(as_int(data.scalars.get(n)) or 0 for n in ("mem_avail", "mem_buffer",
                                                             "mem_cached"))
        mem_pct = _pct(max(0, total - free), total)
    temps = [v / 1000.0 for v in _ints(data, "lm_temp").values()]
    reading = HealthReading(
        cpu_pct=None if idle is None else float(max(0, min(100, 100 - idle))),
        mem_used_pct=mem_pct,
        mem_total_bytes=total * 1024 if total else None,
        uptime_s=_uptime(data, "sys_uptime"),
        temperature_c=_hottest(temps),
    )
    return [reading]


def parse_huawei(data: GroupData) -> list[Reading]:
    """HUAWEI-ENTITY-EXTENT-MIB hwEntityStateTable columns ``cpu``, ``mem``, ``mem_size``,
    ``mem_size_mb``, ``temperature``; scalar ``sys_uptime``."""
    cpu, mem = _ints(data, "cpu"), _ints(data, "mem")
    size_b, size_mb = _ints(data, "mem_size"), _ints(data, "mem_size_mb")
    boards: dict[tuple[int, ...], int] = {}
    for idx in set(size_b) | set(size_mb):
        size = size_mb[idx] * 1024 * 1024 if size_mb.get(idx, 0) > 0 else size_b.get(idx, 0)
        if size > 0:
            boards[idx] = size
    busiest = [cpu[i] for i in boards if i in cpu]
    weighted = [(mem[i], boards[i]) for i in boards if i in mem]
    total = sum(size for _, size in weighted)
    reading = HealthReading(
        cpu_pct=float(max(busiest)) if busiest else None,
        mem_used_pct=_pct(sum(p * s for p, s in weighted) / 100.0, total) if total else None,
        mem_total_bytes=sum(boards.values()) or None,
        uptime_s=_uptime(data, "sys_uptime"),
        temperature_c=_hottest(float(t) for t in _ints(data, "temperature").values()),
    )
    return [reading]


def parse_cisco(data: GroupData) -> list[Reading]:
    """CISCO-PROCESS-MIB ``cpu_5min``, ``mem_used_kb``, ``mem_free_kb``; CISCO-MEMORY-POOL-MIB
    ``pool_used``, ``pool_free``; CISCO-ENVMON-MIB ``temperature``; scalar ``sys_uptime``."""
    cpus = list(_ints(data, "cpu_5min").values())
    used_kb, free_kb = _ints(data, "mem_used_kb"), _ints(data, "mem_free_kb")
    rows = [i for i in used_kb if i in free_kb]
    if rows:
        used = sum(used_kb[i] for i in rows) * 1024
        total = used + sum(free_kb[i] for i in rows) * 1024
    else:
        pool_used, pool_free = _ints(data, "pool_used"), _ints(data, "pool_free")
        pools = [i for i in pool_used if i in pool_free]
        used = sum(pool_used[i] for i in pools)
        total = used + sum(pool_free[i] for i in pools)
    reading = HealthReading(
        cpu_pct=float(max(cpus)) if cpus else None,
        mem_used_pct=_pct(used, total),
        mem_total_bytes=total or None,
        uptime_s=_uptime(data, "sys_uptime"),
        temperature_c=_hottest(float(t) for t in _ints(data, "temperature").values()),
    )
    return [reading]


PARSERS = {
    "health_host": parse_host_resources,
    "health_ucd": parse_ucd,
    "health_huawei": parse_huawei,
    "health_cisco": parse_cisco,
}
