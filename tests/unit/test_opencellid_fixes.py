"""Issue 11's OpenCelliD and boundary import fixes, through the CLI on a real SQLite store:
an empty or header-only file changes nothing and says so; a UTF-8 BOM is accepted;
a repeated cell is read once; a binary file's error names the file; a repaired
self-intersecting boundary is reported with its feature."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from provnet.cli import app
from provnet.inventory.model import AdminUnit, Sector
from provnet.inventory.store import open_store
from provnet.maps.errors import ImportFormatError
from provnet.maps.io_geojson import parse_boundaries
from provnet.maps.io_opencellid import parse_opencellid

HEADER = ("radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,"
          "averageSignal")
ROWS = ["LTE,452,4,10101,2345678,0,105.4351,10.3862,1200,15,1,1459692000,1600000000,-95",
        "UMTS,452,2,20,30,0,105.4400,10.3900,2500,7,1,1459692000,1600000000,0"]
BOWTIE = {"type": "Polygon", "coordinates": [[[105.40, 10.30], [105.50, 10.40],
                                              [105.50, 10.30], [105.40, 10.40],
                                              [105.40, 10.30]]]}


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "provnet.yaml"
    path.write_text(f"state_dir: {tmp_path / 'state'}\n", encoding="utf-8")
    return path


def _run(cfg: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, ["coverage", *args, "--config", str(cfg)])
    return res.exit_code, res.output


def _sectors(cfg: Path) -> int:
    store = open_store(f"sqlite:///{cfg.parent / 'state' / 'inventory.sqlite'}")
    try:
        with store.session() as s:
            return int(s.scalar(select(func.count()).select_from(Sector)) or 0)
    finally:
        store.close()


def test_empty_and_header_only_files_change_nothing(cfg: Path, tmp_path: Path) -> None:
    good = tmp_path / "cells.csv"
    good.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    code, out = _run(cfg, "import-opencellid", str(good))
    assert code == 0, out
    assert _sectors(cfg) == 2
    for name, text in (("empty.csv", ""), ("header.csv", HEADER + "\n")):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        code, out = _run(cfg, "import-opencellid", str(path))
        assert code == 0 and "nothing changed" in out, out
        assert _sectors(cfg) == 2


def test_bom_is_accepted_and_repeated_cells_are_read_once(cfg: Path, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(("\ufeff" + HEADER + "\r\n" + "\r\n".join([*ROWS, ROWS[0]]) + "\r\n")
                     .encode("utf-8"))
    code, out = _run(cfg, "import-opencellid", str(path))
    assert code == 0, out
    assert "2 cells" in out and "1 repeated cells read once" in out
    assert _sectors(cfg) == 2
    parsed = parse_opencellid(["\ufeff" + ROWS[0], ROWS[1], ROWS[0]])  # BOM on a data row too
    assert len(parsed.cells) == 2 and parsed.duplicates == 1


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", b"LTE\x00,452\n"])
def test_binary_file_error_names_the_file(cfg: Path, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "picture.csv"
    path.write_bytes(content)
    code, out = _run(cfg, "import-opencellid", str(path))
    assert code == 2 and "picture.csv" in out, out


def test_repaired_boundary_is_reported(cfg: Path, tmp_path: Path) -> None:
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "30280"}, "geometry": BOWTIE}]}
    (b,) = parse_boundaries(json.dumps(fc))
    assert b.repaired is not None and "Self-intersection" in b.repaired
    store = open_store(f"sqlite:///{tmp_path / 'state' / 'inventory.sqlite'}")
    with store.session() as s:
        s.add(AdminUnit(generation="legacy", level="commune", code="30280", name="Phường Mỹ Bình",
                        short_name="Mỹ Bình", unit_type="Phường", name_folded="phuong my binh"))
    store.close()
    path = tmp_path / "b.geojson"
    path.write_text(json.dumps(fc), encoding="utf-8")
    code, out = _run(cfg, "import-boundaries", str(path))
    assert code == 0, out
    assert "feature 0 (code 30280): invalid polygon repaired (Self-intersection" in out


def test_nul_bytes_name_the_line() -> None:
    with pytest.raises(ImportFormatError) as err:
        parse_opencellid(["LTE\x00,452"], "x.csv")
    assert err.value.source == "x.csv" and err.value.where == "line 1"
