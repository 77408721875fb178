"""``provnet coverage`` end to end: seed, compute (then reuse the cache), export, imports."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PROVNET = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "provnet")


def _run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    p = subprocess.run([PROVNET, *args], capture_output=True, text=True, timeout=300)
    if ok:
        assert p.returncode == 0, p.stderr
    return p


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("covcli")
    _run("seed-demo", "--state-dir", str(d))
    return d


def test_compute_then_reuse(state: Path) -> None:
    first = _run("coverage", "compute", "--state-dir", str(state)).stdout
    assert "recomputed {'legacy': 155, '2025': 54}" in first
    second = _run("coverage", "compute", "--state-dir", str(state)).stdout
    assert "recomputed {'legacy': 0, '2025': 0}" in second
    assert (state / "coverage" / "coverage-legacy.json").exists()


def test_export_geojson_and_kml(state: Path) -> None:
    gj = state / "gaps.geojson"
    _run("coverage", "export", str(gj), "-t", "5G", "--state-dir", str(state))
    fc = json.loads(gj.read_text(encoding="utf-8"))
    assert fc["features"] and {f["properties"]["layer"] for f in fc["features"]} == {"gap"}
    kml = state / "gaps.kml"
    _run("coverage", "export", str(kml), "-t", "5G", "--commune", "30280", "--state-dir",
         str(state))
    root = ET.fromstring(kml.read_bytes())
    assert any("Phường Mỹ Bình" in (e.text or "") for e in root.iter())


def test_bad_opencellid_file_names_the_line_and_imports_nothing(state: Path) -> None:
    bad = state / "452.csv"
    bad.write_text("LTE,452,4,1,2,0,105.43,10.38,900,3,1,1,1,0\n"
                   "LTE,452,4,1,3,0,105.43,ten,900,3,1,1,1,0\n", encoding="utf-8")
    p = _run("coverage", "import-opencellid", str(bad), "--state-dir", str(state), ok=False)
    assert p.returncode == 2 and "452.csv: line 2: lat is not a number" in p.stderr
    good = state / "452ok.csv"
    good.write_text("LTE,452,8,1,2,0,105.43,10.38,900,3,1,1,1,0\n", encoding="utf-8")
    out = _run("coverage", "import-opencellid", str(good), "--mnc", "8=iTel", "--state-dir",
               str(state)).stdout
    assert "1 cells -> 1 sites, 1 BTS" in out
    p = _run("coverage", "import-opencellid", str(good), "--mnc", "eight", "--state-dir",
             str(state), ok=False)
    assert p.returncode == 2 and "--mnc wants NN=NAME" in p.stderr


def test_bad_boundaries_name_the_feature(state: Path) -> None:
    f = state / "b.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "30280"},
         "geometry": {"type": "Point", "coordinates": [105.4, 10.4]}}]}), encoding="utf-8")
    p = _run("coverage", "import-boundaries", str(f), "--state-dir", str(state), ok=False)
    assert p.returncode == 2 and "feature 0 (code=30280)" in p.stderr
