"""Are acknowledged samples kept when the store is SIGKILLed? InfluxDB vs VictoriaMetrics.

For each wait (seconds between the acknowledged write and the SIGKILL): a fresh managed server
in a temporary directory, one sample written (and, for VictoriaMetrics, ``/internal/force_flush``
asked), the wait, SIGKILL by PID, a restart on the same port, and whether the sample is there.

    python -m bench.store_durability            # ~1 minute
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
from pathlib import Path

from provnet.tsdb.client import InfluxQLReader, V1Writer
from provnet.tsdb.managed import ManagedInfluxd
from provnet.tsdb.managed_vm import ManagedVictoria
from provnet.tsdb.points import Point
from provnet.tsdb.victoria import VictoriaClient, VictoriaHistory, VictoriaWriter

WAITS = (0.2, 1.0, 2.0, 4.0, 6.0)
POINT = Point("m", {"v": 1.0}, {}, 10**18)


def influx_kept(wait: float) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        db = ManagedInfluxd(Path(tmp)).start()
        try:
            with InfluxQLReader(db.url, "") as r:
                r.create_database("d")
            with V1Writer(db.url, "d") as w:
                w.write([POINT])
            time.sleep(wait)
            os.kill(db.pid or 0, signal.SIGKILL)
            db.restart_same_port()
            with InfluxQLReader(db.url, "d") as r:
                return bool(r.query('SELECT "v" FROM "m"'))
        finally:
            db.stop()


def victoria_kept(wait: float) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        vm = ManagedVictoria(Path(tmp)).start()
        try:
            with VictoriaWriter(vm.url, "d") as w:
                w.write([POINT])
            with VictoriaClient(vm.url) as c:
                c.force_flush()
            time.sleep(wait)
            os.kill(vm.pid or 0, signal.SIGKILL)
            vm.restart_same_port()
            reader = VictoriaHistory(VictoriaClient(vm.url), "d")
            try:
                return bool(reader.read_series('"m"', ["v"], {}, 0, 2 * 10**18))
            finally:
                reader.close()
        finally:
            vm.stop()


def main() -> None:
    print(f"{'wait before SIGKILL':<22} {'influxdb 1.6.7':>16} {'victoriametrics 1.79.5':>24}")
    for wait in WAITS:
        i, v = influx_kept(wait), victoria_kept(wait)
        print(f"{wait:>8.1f} s{'':<12} {'kept' if i else 'LOST':>16} {'kept' if v else 'LOST':>24}")


if __name__ == "__main__":
    main()
