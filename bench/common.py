"""Helpers shared by the benchmark scripts: CPU accounting and simulator targets."""

from __future__ import annotations

import os
import resource
from pathlib import Path
from typing import Any

from provnet.pollers.types import SnmpTarget


def proc_cpu_s(pid: int) -> float:
    """utime + stime of a live process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_s() -> float:
    """CPU (user + system) of every child process this process has waited for."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def plan_targets(plan: dict[str, Any], port: int) -> list[SnmpTarget]:
    """SNMP targets of every device of a simulator plan served on ``port``."""
    return [SnmpTarget(d["id"], d["sys_name"], d["address"], port,
                       community=plan["community"], timeout_s=2.0, retries=1)
            for d in plan["devices"]]


def demo_links(store: Any) -> tuple[list[Any], str, list[Any]]:
    """The seeded demo's links, and the commune with the most links with those links (the
    commune the history benchmarks chart)."""
    from provnet.inventory import queries

    with store.session() as s:
        links = queries.links(s)
    by_commune: dict[str, list[Any]] = {}
    for r in links:
        if r.commune_code:
            by_commune.setdefault(r.commune_code, []).append(r)
    commune, commune_links = max(by_commune.items(), key=lambda kv: len(kv[1]))
    return links, commune, commune_links
