"""Alert evaluation cost on the demo province (184 routers, 189 links), in process.

Prints the time of one IncidentBook.process() for: a quiet cycle, the cycle in which a PoP
uplink fails (16 sites cut off), the next one, and a storm (every PoP uplink down at once:
183 devices cut off). Real SQLite store and outbox (no channels). Run:
    .venv/bin/python bench/alerts_eval.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from provnet.alerts.engine import Engine, Observation
from provnet.alerts.incidents import IncidentBook
from provnet.alerts.notify.outbox import Outbox
from provnet.alerts.rules import load_rules
from provnet.alerts.view import InventoryView, load_view
from provnet.config.notify import NotifierSettings
from provnet.config.settings import AlertSettings
from provnet.demo.seed import seed_demo
from provnet.inventory.store import open_store


class Clock:
    now = time.time()

    def __call__(self) -> float:
        return self.now


def cycle(view: InventoryView, down: set[int], t: float) -> list[Observation]:
    """device.reachable + link.up + 3 interface metrics per link end, like the poller's batch."""
    dead = view.topology.cut_off_by(failed_links=down)
    out = [Observation(f"device:{d}", "device.reachable", 0.0 if d in dead else 1.0, t,
                       i.labels()) for d, i in view.devices.items()]
    for k, lk in view.links.items():
        if lk.a_device in dead and lk.z_device in dead:
            continue
        out.append(Observation(f"link:{k}", "link.up", 0.0 if k in down else 1.0, t,
                               view.link_labels(k)))
        for dev in (lk.a_device, lk.z_device):
            if dev not in dead:
                for m in ("if.util_pct", "if.errors_ps", "if.discards_ps"):
                    out.append(Observation(f"if:{dev}:{k}", m, 1.0, t,
                                           view.devices[dev].labels()))
    return out


def main() -> None:
    path = Path(tempfile.mkdtemp(prefix="provnet-bench-alerts-")) / "inv.sqlite"
    store = open_store(f"sqlite:///{path}")
    seed_demo(store)
    with store.session() as s:
        view = load_view(s)
    clock = Clock()
    book = IncidentBook(store, Engine(load_rules(), clock), view,
                        Outbox(store, NotifierSettings()), AlertSettings(), clock)
    pop_uplinks = {k for k, lk in view.links.items() if lk.z_site == "AG-CORE"
                   and lk.a_site.startswith("POP-")}
    tri_ton = {k for k, lk in view.links.items() if lk.a_site == "POP-891" and k in pop_uplinks}

    def timed(down: set[int]) -> tuple[float, int, int]:
        clock.now += 10
        batch = cycle(view, down, clock.now)
        t0 = time.perf_counter()
        sent = book.process(batch)
        return time.perf_counter() - t0, len(batch), len(sent)

    quiet = [timed(set()) for _ in range(10)]
    print(f"quiet cycle: {quiet[-1][1]} observations, median "
          f"{1000 * statistics.median(q[0] for q in quiet):.1f} ms")
    for label, down in (("PoP Tri Tôn uplink down, 1st cycle", tri_ton),
                        ("PoP Tri Tôn uplink down, 2nd cycle", tri_ton),
                        ("recovered", set())):
        dt_s, n, sent = timed(down)
        print(f"{label}: {n} observations, {1000 * dt_s:.1f} ms, {sent} notifications")
    for _ in range(4):
        timed(set())
    for label in ("storm: all 11 PoP uplinks down, 1st cycle", "storm, 2nd cycle"):
        dt_s, n, sent = timed(pop_uplinks)
        print(f"{label}: {n} observations, {1000 * dt_s:.1f} ms, {sent} notifications")
    store.close()


if __name__ == "__main__":
    main()
