"""Discovery of the simulated demo network from its core: the simulator answers LLDP-MIB
(lldpLocPortTable, lldpRemTable, lldpRemManAddrTable) from the plan's links, and
``provnet inventory discover CORE --follow 2`` walks the core, then its neighbours' management
addresses ring by ring, and proposes exactly the plan's links (interface names at both ends,
the device further from the core as side A).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provnet.cli import app
from provnet.inventory.store import open_store
from provnet.inventory.transfer import export
from provnet.simulator.example import synthetic_plan
from tests.support.sim_fixtures import SimProcess, start_simulator

pytestmark = pytest.mark.integration
PLAN = synthetic_plan(pops=2, communes_per_pop=2, net="127.86")


@pytest.fixture()
def sim(tmp_path: Path) -> Iterator[SimProcess]:
    proc = start_simulator(tmp_path, PLAN, control=False)
    try:
        yield proc
    finally:
        proc.stop()


def _plan_links() -> set[str]:
    devs = {d["id"]: d for d in PLAN["devices"]}

    def end(dev: int, ifindex: int) -> str:
        d = devs[dev]
        name = next(f["name"] for f in d["interfaces"] if f["ifindex"] == ifindex)
        return f"{d['sys_name']},{name}"

    return {f"{end(lk['a_device'], lk['a_ifindex'])},{end(lk['z_device'], lk['z_ifindex'])}"
            for lk in PLAN["links"]}


def test_demo_network_rediscovered_from_its_core(sim: SimProcess, tmp_path: Path) -> None:
    cfg = tmp_path / "provnet.yaml"
    cfg.write_text(f"state_dir: {tmp_path / 'state'}\n", encoding="utf-8")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "sites.csv").write_text(
        "code,name,kind,latitude,longitude\nLAB,Mạng mô phỏng,core,10.5,105.1\n",
        encoding="utf-8")
    cli = CliRunner()
    assert cli.invoke(app, ["inventory", "import", str(tmp_path / "in"), "--config",
                            str(cfg)]).exit_code == 0
    core = next(d["address"] for d in PLAN["devices"] if d["id"] == PLAN["core_device"])
    args = ["inventory", "discover", core, "--community", PLAN["community"], "--port",
            str(sim.port), "--site", "LAB", "--config", str(cfg)]
    one = cli.invoke(app, [*args, "--dry-run"])  # the core alone: its neighbours, no links
    assert one.exit_code == 0, one.output
    assert "core (" in one.output and "2 LLDP neighbours" in one.output
    assert "GE0/0/1 -> pop0 GE0/0/0" in one.output
    assert "devices: 1 to add" in one.output and "links:" not in one.output

    hop1 = cli.invoke(app, [*args, "--follow", "1", "--dry-run"])  # core + PoPs
    assert hop1.exit_code == 0, hop1.output
    assert "links: 2 to add" in hop1.output, hop1.output

    res = cli.invoke(app, [*args, "--follow", "2", "--yes"])  # the whole network
    assert res.exit_code == 0, res.output
    assert f"links: {len(PLAN['links'])} to add" in res.output, res.output
    store = open_store(f"sqlite:///{(tmp_path / 'state' / 'inventory.sqlite').resolve()}")
    try:
        export(store, tmp_path / "out")
    finally:
        store.close()
    lines = (tmp_path / "out" / "links.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert {",".join(line.split(",")[:4]) for line in lines} == _plan_links()
    devices = (tmp_path / "out" / "devices.csv").read_text(encoding="utf-8")
    assert all(d["sys_name"] in devices for d in PLAN["devices"])
