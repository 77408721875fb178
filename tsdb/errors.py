"""Exception root of the tsdb package."""


class TsdbError(Exception):
    """InfluxDB could not be reached, refused a write, or a query failed."""


class TsdbUnavailable(TsdbError):
    """The server could not take the write now (down, timeout, 5xx, auth, missing database).

    Nothing is wrong with the data: keep it and retry later.
    """


class TsdbRejected(TsdbError):
    """The server refused the data itself (4xx: parse error, field type conflict, ...).

    Retrying the same lines will fail again. Part of the batch may have been written
    (InfluxDB "partial write"). ``reason`` is the server's message.
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message
