"""Exception root of the tsdb package."""


class TsdbError(Exception):
    """InfluxDB could not be reached, refused a write, or a query failed."""
