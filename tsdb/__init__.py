"""provnet: tsdb package, the one place that speaks InfluxDB.

Names are imported lazily (PEP 562), so ``from tsdb.points import Point`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tsdb.client import (
        InfluxQLReader,
        LineWriter,
        ServerStatus,
        V1Writer,
        V2Writer,
        Writer,
        api_for_version,
        make_writer,
    )
    from tsdb.errors import TsdbError, TsdbRejected, TsdbUnavailable
    from tsdb.influxql import quote_ident, quote_literal
    from tsdb.lineprotocol import encode_lines, encode_point
    from tsdb.managed import ManagedInfluxd
    from tsdb.points import FieldValue, Point
    from tsdb.spool import SpoolingWriter

_WHERE = {
    "InfluxQLReader": "tsdb.client",
    "LineWriter": "tsdb.client",
    "ServerStatus": "tsdb.client",
    "V1Writer": "tsdb.client",
    "V2Writer": "tsdb.client",
    "Writer": "tsdb.client",
    "api_for_version": "tsdb.client",
    "make_writer": "tsdb.client",
    "TsdbError": "tsdb.errors",
    "TsdbRejected": "tsdb.errors",
    "TsdbUnavailable": "tsdb.errors",
    "quote_ident": "tsdb.influxql",
    "quote_literal": "tsdb.influxql",
    "encode_lines": "tsdb.lineprotocol",
    "encode_point": "tsdb.lineprotocol",
    "ManagedInfluxd": "tsdb.managed",
    "FieldValue": "tsdb.points",
    "Point": "tsdb.points",
    "SpoolingWriter": "tsdb.spool",
}

__all__ = [
    "FieldValue",
    "InfluxQLReader",
    "LineWriter",
    "ManagedInfluxd",
    "Point",
    "ServerStatus",
    "SpoolingWriter",
    "TsdbError",
    "TsdbRejected",
    "TsdbUnavailable",
    "V1Writer",
    "V2Writer",
    "Writer",
    "api_for_version",
    "encode_lines",
    "encode_point",
    "make_writer",
    "quote_ident",
    "quote_literal",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tsdb' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
