"""Benchmark: the poller node's SSH messages (optics, configuration backups), at the node and
at the centre (issue 16). The SSH sessions themselves cost what bench/ssh_sessions.py measures.

    python bench/agent_ssh.py [--devices 2000] [--optics 4] [--config-kb 40]

* **node**: per device, an ``OpticsNote`` (``--optics`` ports) and a ``ConfigNote`` (a
  ``--config-kb`` configuration) encoded and written to an outbox file, as ``NodeAgent.emit``
  does; CPU per note and bytes per message.
* **centre**: what ``provnet serve`` does with them: decode, ``CollectFeed``,
  ``NodeCollect`` (``optics`` points and their line protocol; the configuration into a SQLite
  configuration store at the commit, in a worker thread: first version, then an identical
  fetch (no version), then a changed one); CPU per note (all threads of the process).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from provnet.features.cluster import NodeCollect
from provnet.pollers.cluster.agent import Outbox
from provnet.pollers.cluster.collect import decode_any
from provnet.pollers.cluster.collectfeed import CollectFeed
from provnet.pollers.cluster.sshmsg import ConfigNote, OpticsNote, encode_config, encode_optics
from provnet.pollers.live import LiveState
from provnet.pollers.ssh.types import OpticReading
from provnet.tsdb.lineprotocol import encode_lines
from tests.support.ssh_store import seed_devices, sqlite_store_at


def config_text(device: int, kb: int, variant: int = 0) -> str:
    """A Huawei-like configuration of about ``kb`` KB."""
    lines = [f"sysname AG-R{device}", f"ntp-service unicast-server 10.0.0.{1 + variant}"]
    i = 0
    while sum(len(x) + 1 for x in lines) < kb * 1024:
        lines += [f"interface GigabitEthernet0/0/{i}", f" description UBND Xã {i}",
                  f" ip address 10.{i // 250}.{i % 250}.1 255.255.255.252", "#"]
        i += 1
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--devices", type=int, default=2000)
    p.add_argument("--optics", type=int, default=4)
    p.add_argument("--config-kb", type=int, default=40)
    args = p.parse_args()
    logging.disable(logging.WARNING)  # a "configuration changed" line per device otherwise
    n = args.devices
    readings = tuple(OpticReading(f"GigabitEthernet0/0/{k}", rx_dbm=-7.1 - k, tx_dbm=-2.4,
                                  rx_low_dbm=-23.0, rx_high_dbm=0.0, tx_low_dbm=-9.0,
                                  tx_high_dbm=1.0, bias_ma=6.2, temperature_c=41.5,
                                  voltage_v=3.3) for k in range(args.optics))
    with tempfile.TemporaryDirectory() as tmp:
        outbox = Outbox(Path(tmp) / "outbox")
        optics = [OpticsNote("bench", d + 1, 1e9 + d, readings, 1) for d in range(n)]
        c0 = time.process_time()
        opt_payloads = []
        for m in optics:
            data = encode_optics(m)
            outbox.put_named(f"{round(m.started * 1000):016d}-optics-{m.device_id}.json", data)
            opt_payloads.append(data)
        node_optics = (time.process_time() - c0) / n
        rounds = [[ConfigNote("bench", d + 1, 2e9 + r * 3600 + d,
                              config_text(d, args.config_kb, 1 if r == 2 else 0), 1)
                   for d in range(n)] for r in range(3)]
        c0 = time.process_time()
        cfg_payloads = []
        for notes in rounds:
            for m in notes:
                data = encode_config(m)
                outbox.put_named(f"{round(m.started * 1000):016d}-config-{m.device_id}.json",
                                 data)
                cfg_payloads.append(data)
        node_config = (time.process_time() - c0) / len(cfg_payloads)

        with sqlite_store_at(Path(tmp)) as store:
            ids = seed_devices(store, [f"r{d}" for d in range(n)])
            assert sorted(ids.values()) == list(range(1, n + 1))
            points: list[Any] = []
            wiring = NodeCollect(LiveState(), points.extend, lambda d: {"device": f"r{d}"},
                                 None, store)
            feed = CollectFeed(lambda s: None, lambda t: None, on_optics=wiring.optics,
                               on_config=wiring.config)
            c0 = time.process_time()
            for data in opt_payloads:
                msg = decode_any(data)
                assert isinstance(msg, OpticsNote)
                feed.optics(msg)
            encode_lines(points)
            centre_optics = (time.process_time() - c0) / n
            per_round = []
            for r in range(3):
                points.clear()
                c0, w0 = time.process_time(), time.perf_counter()
                for data in cfg_payloads[r * n:(r + 1) * n]:
                    msg = decode_any(data)
                    assert isinstance(msg, ConfigNote)
                    feed.config(msg)
                asyncio.run(wiring.commit())  # the centre's commit: in a worker thread
                encode_lines(points)
                per_round.append(((time.process_time() - c0) / n,
                                  (time.perf_counter() - w0) / n, len(points)))
    print(f"{n} devices, {args.optics} optics each, {args.config_kb} KB configurations")
    print(f"node:   optics note {node_optics * 1e3:.3f} CPU-ms "
          f"({len(opt_payloads[0])} bytes); configuration note {node_config * 1e3:.3f} CPU-ms "
          f"({len(cfg_payloads[0])} bytes)")
    print(f"centre: optics note {centre_optics * 1e3:.3f} CPU-ms (decode, feed, "
          f"{args.optics} points, line protocol)")
    for what, (cpu, wall, pts) in zip(("first version", "identical (no version)",
                                       "changed (new version)"), per_round, strict=True):
        print(f"centre: configuration {what}: {cpu * 1e3:.3f} CPU-ms, {wall * 1e3:.3f} ms "
              f"wall per note (SQLite), {pts} config_change points")


if __name__ == "__main__":
    main()
