"""``provnet --help`` and the small commands do not load the service's heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: modules only ``serve``/``demo`` and the commands that use them may load
HEAVY = ["fastapi", "starlette", "sqlalchemy", "alembic", "uvicorn", "shapely", "pyproj",
         "vietnamadminunits", "netmiko", "pysnmp", "nats", "influxdb_client",
         "provnet.features", "provnet.service", "provnet.api"]


def _loaded_after(code: str) -> set[str]:
    probe = (f"import sys, json\n{code}\n"
             "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _heavy(mods: set[str]) -> list[str]:
    return sorted(h for h in HEAVY if h in mods or any(m.startswith(h + ".") for m in mods))


def test_importing_the_cli_loads_none_of_the_heavy_modules() -> None:
    assert _heavy(_loaded_after("import provnet.cli")) == []


@pytest.mark.parametrize("args", [["--help"], ["alerts", "--help"], ["user", "add", "--help"],
                                  ["inventory", "--help"], ["coverage", "--help"]])
def test_help_loads_none_of_the_heavy_modules(args: list[str]) -> None:
    code = ("from typer.testing import CliRunner\nfrom provnet.cli import app\n"
            f"r = CliRunner().invoke(app, {args!r})\nassert r.exit_code == 0, r.output")
    assert _heavy(_loaded_after(code)) == []


def test_a_heavy_module_is_seen_when_it_is_loaded() -> None:
    # the probe itself works: importing the service is noticed
    assert "provnet.service" in _heavy(_loaded_after("import provnet.service"))
