"""The must-show of issue 16: a hub of three nats-servers (R3 stream, R3 PLAN bucket) and two
poller nodes, each in its own network namespace (leaf server, simulated devices, ``provnet
agent``) joined to the hub by a veth pair; the centre is a real ``provnet serve`` writing
InfluxDB. Node pop1's WAN link is taken down for 110 poll cycles (0.5 s interval: time
compressed 120x from 60 s) while its devices keep answering locally. Afterwards every sample is
in the TSDB exactly once and in order per device, the history API shows no gap over the cut,
and pop2's data never stopped."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from provnet.config.settings import load_settings
from provnet.pollers.cluster.messages import Batch
from tests.support.api_auth import admin_headers
from tests.support.cluster_fixtures import (
    AgentProc,
    batches_by_shard,
    read_stream,
    run,
    seed_subset,
    simulator_plan,
    start_simulator,
    write_agent_config,
)
from tests.support.helpers import InfluxdHandle, free_port, stop_process
from tests.support.nats import Hub, leaf
from tests.support.netns import wan

pytestmark = [pytest.mark.integration, pytest.mark.scaleout]
INTERVAL = 0.5
CUT_CYCLES = 110
COMMUNITY = "provnet-demo"
POP1, POP2 = [1, 2, 3, 4], [5, 6, 7, 8]  # the demo core and PoP routers: four per node


def _wait(what: str, check: Any, timeout: float, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def test_wan_cut_of_one_node(influx_database: InfluxdHandle, tmp_path: Path) -> None:
    state = tmp_path / "centre"
    state.mkdir(mode=0o700)
    sql = f"sqlite:///{state / 'inventory.sqlite'}"
    seed_subset(sql, set(POP1 + POP2))
    sim_port = free_port(kind=socket.SOCK_DGRAM)
    plan = simulator_plan(sql, sim_port, COMMUNITY)
    names = {d["id"]: d["sys_name"] for d in plan["devices"]}
    assert set(names) == set(POP1 + POP2)
    procs: list[subprocess.Popen[bytes]] = []
    agents: list[AgentProc] = []
    servers = []
    centre: subprocess.Popen[bytes] | None = None
    with wan(["pop1", "pop2"]) as net:
        try:
            hub = Hub(tmp_path, size=3, leaf_host=net.hub_address).start()
            servers += hub.servers
            for node in ("pop1", "pop2"):
                site = net.sites[node]
                servers.append(leaf(tmp_path, node, hub.leaf_urls, 4222, site.ns).start())
                procs.append(start_simulator(plan, tmp_path, node, site.ns))
                cfg = write_agent_config(tmp_path / f"{node}.json", node,
                                         "nats://127.0.0.1:4222", community=COMMUNITY)
                agents.append(AgentProc(node, cfg, tmp_path / f"{node}-state",
                                        tmp_path / f"{node}.log", site.ns).start())
            api_port = free_port()
            conf = tmp_path / "provnet.yaml"
            conf.write_text(json.dumps({
                "state_dir": str(state),
                "influx": {"url": influx_database.url, "database": influx_database.database},
                "poller": {"interval_s": INTERVAL},
                "api": {"port": api_port},
                "icmp": {"enabled": False},
                "traps": {"enabled": False},
                "snmp_profiles": {"demo": {"community": COMMUNITY, "port": sim_port}},
                # event-time alerting compressed like the polling (alerts/eventtime.py)
                "alerts": {"eventtime": {"silent_after_s": 8, "caught_up_lag_s": 3,
                                         "check_interval_s": 1}},
                "cluster": {"enabled": True, "province": "tq", "hub_urls": hub.urls,
                            "replicas": 3, "plan_every_s": 1.0, "failover_delay_s": 5.0,
                            "groups": [{"name": "pop1", "nodes": ["pop1"], "devices": POP1},
                                       {"name": "pop2", "nodes": ["pop2"], "devices": POP2}]},
            }), encoding="utf-8")
            with (tmp_path / "centre.log").open("wb") as out:
                centre = subprocess.Popen(
                    [sys.executable, "-m", "provnet.cli", "serve", "--config", str(conf)],
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            reader = influx_database.reader()

            def newest(devices: list[int]) -> float:
                """Age (s) of the stalest device's newest sample."""
                ages = []
                for d in devices:
                    rows = reader.query("SELECT last(duration_ms) FROM snmp_poll WHERE "
                                        "device = $d", {"d": names[d]})
                    if not rows:
                        return float("inf")
                    ages.append(time.time() - rows[0]["time"] / 1e9)
                return max(ages)

            t_start = time.time()
            _wait("both nodes' samples in InfluxDB",
                  lambda: newest(POP1) < 3 and newest(POP2) < 3, 120)
            headers = admin_headers(load_settings(conf))

            def node_incidents(node: str) -> list[dict[str, Any]]:
                r = httpx.get(f"http://127.0.0.1:{api_port}/api/v1/alerts/incidents",
                              headers=headers, timeout=10, params={"limit": 200})
                r.raise_for_status()
                return [i for i in r.json()["items"] if node in json.dumps(i)
                        and "unreachable" in i["title_en"].lower()]
            time.sleep(7)  # rates need two samples: the history before the cut has them
            # the cut: pop1's WAN down for CUT_CYCLES cycles, its devices still polled locally
            cut_at = time.time()
            net.sites["pop1"].wan(False)
            checks = 0
            while time.time() < cut_at + CUT_CYCLES * INTERVAL:
                time.sleep(5)
                assert newest(POP2) < 3, "pop2's data must not stop while pop1 is cut"
                if time.time() > cut_at + 10:
                    assert newest(POP1) > 5, "pop1's WAN is cut: nothing from it yet"
                    checks += 1
            assert checks >= 8
            # the alerts knew: one "poller node unreachable" for pop1, none for pop2
            assert len(node_incidents("pop1")) == 1
            assert node_incidents("pop2") == []
            net.sites["pop1"].wan(True)
            back_at = time.time()
            caught = _wait("pop1's backlog", lambda: newest(POP1) < 3, 120) and time.time()
            catch_up_s = caught - back_at
            time.sleep(3)
            for a in agents:
                a.stop()
            hub_msgs = run(read_stream(hub.urls, "ALL"))
            shards = batches_by_shard(hub_msgs)
            results: dict[int, list[float]] = defaultdict(list)
            for (node, _shard), batches in shards.items():
                ticks = [b.tick for b in batches]
                # every tick once, in order, none missing (the agents never stopped polling)
                assert ticks == list(range(ticks[0], ticks[0] + len(ticks))), node
                for b in batches:
                    assert isinstance(b, Batch)
                    for r in b.results:
                        results[r.device_id].append(r.started)
            assert ({n for n, _ in shards}) == {"pop1", "pop2"}
            cut_ticks = [b.tick for b in shards[("pop1", 0)]
                         if cut_at + 2 < b.event_time < back_at - 2]
            assert len(cut_ticks) >= CUT_CYCLES - 10  # polled during the cut, stored, sent later
            # the centre wrote each of them once, in order
            for started in results.values():
                assert started == sorted(started) and len(set(started)) == len(started)

            def in_tsdb() -> bool:
                return all(
                    [round(r["time"] / 1000) for r in reader.query(
                        "SELECT duration_ms FROM snmp_poll WHERE device = $d", {"d": names[d]})]
                    == [round(t * 1_000_000) for t in started] for d, started in results.items())
            _wait("every sample in InfluxDB exactly once", in_tsdb, 60, every=1.0)
            # the history API over the cut: a step every second, as many samples as polled
            # (two at 0.5 s; one where a loaded host made a cycle overrun), none doubled
            dev = POP1[0]
            ifindex = next(i["ifindex"] for d in plan["devices"] if d["id"] == dev
                           for i in d["interfaces"])
            t0, t1 = int(cut_at) - 5, int(back_at) + 5
            r = httpx.get(f"http://127.0.0.1:{api_port}/api/v1/devices/{dev}/interfaces/"
                          f"{ifindex}/history", headers=headers, timeout=30, params={
                              "from": datetime.fromtimestamp(t0, UTC).isoformat(),
                              "to": datetime.fromtimestamp(t1, UTC).isoformat(),
                              "metrics": "in_bps", "step": "1s"})
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["resolution"] == "raw" and body["step"] == "1s"
            steps = body["series"]["in_bps"]
            got = {int(datetime.fromisoformat(st["time"]).timestamp()): st["samples"]
                   for st in steps}
            # what the node polled (in the hub stream): results of the device with a rate
            want: dict[int, int] = defaultdict(int)
            failed = 0
            for batches in shards.values():
                for b in batches:
                    for res in b.results:
                        if res.device_id != dev:
                            continue
                        rate = res.rates.get(ifindex)
                        if res.status == "ok" and rate is not None and rate.in_bps is not None:
                            if t0 <= res.started < t1:
                                want[int(res.started)] += 1
                        elif t0 <= res.started < t1:
                            failed += 1
            assert got == dict(want), "the history API shows exactly what was polled"
            # and that is (nearly) every second: a gap only where a poll failed or a cycle
            # overran on this loaded machine, never one from the transport
            missing = [t for t in range(t0, t1) if t not in got]
            assert len(missing) <= max(3, (t1 - t0) // 20), (missing, failed)
            print(f"\nset-up until data {cut_at - t_start:.1f} s; cut {CUT_CYCLES} cycles "
                  f"({CUT_CYCLES * INTERVAL:.0f} s); pop1 caught up {catch_up_s:.1f} s after "
                  f"the link returned; {len(hub_msgs)} messages; history of device {dev}: "
                  f"{len(got)} of {t1 - t0} s with a value ({failed} polls without a rate)")
        finally:
            if centre is not None:
                stop_process(centre, timeout_s=20)
            for a in agents:
                a.kill()
            for p in procs:
                stop_process(p)
            for s in reversed(servers):
                s.stop()
