"""Shared pieces of the schemathesis fuzz tests (``test_*_fuzz.py``).

Import it after ``pytest.importorskip("schemathesis")``: hypothesis comes with schemathesis.
schemathesis parametrizes at collection time, so apps (and their stores) are built then, in
temporary directories, not in fixtures.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings

from provnet.inventory.store import Store, open_store


def fuzz_settings(max_examples: int) -> settings:
    """Hypothesis settings of every API fuzz test: reproducible, no deadline or health checks."""
    return settings(max_examples=max_examples, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def temp_store(prefix: str) -> tuple[Store, Path]:
    """A migrated, empty SQLite store in a fresh temporary directory (and that directory)."""
    d = Path(tempfile.mkdtemp(prefix=prefix))
    return open_store(f"sqlite:///{d / 'inventory.sqlite'}"), d
