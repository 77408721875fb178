"""provnet: tsdb package, the one place that speaks InfluxDB.

Names are imported lazily (PEP 562), so ``from tsdb.points import Point`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from provnet.tsdb.client import (
        InfluxQLReader,
        LineWriter,
        ServerStatus,
        V1Writer,
        V2Writer,
        Writer,
        api_for_version,
        make_writer,
    )
    from provnet.tsdb.errors import TsdbError, TsdbRejected, TsdbUnavailable
    from provnet.tsdb.influxql import quote_ident, quote_literal
    from provnet.tsdb.lineprotocol import encode_lines, encode_point
    from provnet.tsdb.managed import ManagedInfluxd
    from provnet.tsdb.points import FieldValue, Point
    from provnet.tsdb.spool import SpoolingWriter

_WHERE = {
    "InfluxQLReader": "provnet.tsdb.client",
    "LineWriter": "provnet.tsdb.client",
    "ServerStatus": "provnet.tsdb.client",
    "V1Writer": "provnet.tsdb.client",
    "V2Writer": "provnet.tsdb.client",
    "Writer": "provnet.tsdb.client",
    "api_for_version": "provnet.tsdb.client",
    "make_writer": "provnet.tsdb.client",
    "TsdbError": "provnet.tsdb.errors",
    "TsdbRejected": "provnet.tsdb.errors",
    "TsdbUnavailable": "provnet.tsdb.errors",
    "quote_ident": "provnet.tsdb.influxql",
    "quote_literal": "provnet.tsdb.influxql",
    "encode_lines": "provnet.tsdb.lineprotocol",
    "encode_point": "provnet.tsdb.lineprotocol",
    "ManagedInfluxd": "provnet.tsdb.managed",
    "FieldValue": "provnet.tsdb.points",
    "Point": "provnet.tsdb.points",
    "SpoolingWriter": "provnet.tsdb.spool",
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
