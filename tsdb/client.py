"""HTTP access to InfluxDB: line-protocol writers and the InfluxQL reader.

The only module of provnet that imports ``httpx`` or ``influxdb_client``. Writes go to
``/write`` (InfluxDB 1.x, and the v1 compatibility API of 2.x/3.x) or ``/api/v2/write``
(1.8+, 2.x, 3.x); reads use InfluxQL over ``/query``, served by all of them.

Failures are :class:`~tsdb.errors.TsdbUnavailable` (retry later: connection refused,
timeout, 5xx, 401/403/404, 429) or :class:`~tsdb.errors.TsdbRejected` (the data itself is
refused: 400, 413, 422, e.g. a field type conflict or a parse error).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol, Self, runtime_checkable

import httpx

from provnet.tsdb.errors import TsdbError, TsdbRejected, TsdbUnavailable
from provnet.tsdb.influxql import quote_ident
from provnet.tsdb.lineprotocol import encode_lines, split_lines
from provnet.tsdb.points import Point

if TYPE_CHECKING:
    from influxdb_client.rest import ApiException

    from provnet.config.settings import InfluxSettings

log = logging.getLogger(__name__)

#: HTTP statuses meaning "this data will never be accepted"; every other failure is
#: treated as "not now" (server down, overloaded, misconfigured credentials/database).
REJECT_STATUSES = frozenset({400, 413, 422})


@runtime_checkable
class Writer(Protocol):
    """Where points go. Implementations raise ``TsdbError`` subclasses on failure."""

    def write(self, points: Sequence[Point]) -> None:
        """Write points (stamped with the current time where ``time_ns`` is missing)."""
        ...

    def write_lines(self, lines: str) -> None:
        """Write already-encoded, newline-separated line protocol (ns precision)."""
        ...

    def close(self) -> None:
        """Release connections. Idempotent."""
        ...


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """Result of a ping: never an exception."""

    ok: bool
    version: str | None = None
    error: str | None = None


def _classify(status: int, message: str, where: str) -> TsdbError:
    text = f"InfluxDB {where} failed with HTTP {status}: {message}"
    if status in REJECT_STATUSES:
        return TsdbRejected(text, reason=message)
    return TsdbUnavailable(text)


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("error", "message"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return (
        response.headers.get("X-Influxdb-Error")
        or response.text.strip()
        or response.reason_phrase
    )


def _rejected_summary(rejections: list[TsdbRejected]) -> TsdbRejected:
    if len(rejections) == 1:
        return rejections[0]
    reason = "; ".join(r.reason for r in rejections)
    return TsdbRejected(f"{len(rejections)} batches rejected: {reason}", reason=reason)


class LineWriter:
    """Base of the concrete writers: encodes, splits into batches, sends each batch.

    A rejected batch does not stop the following ones (they are still sent, then the
    rejection is raised); an unavailable server stops at the first failing batch.
    """

    def __init__(self, batch_size: int = 5000) -> None:
        if batch_size <= 0:
            raise ValueError("batch_size must be positive")
        self.batch_size = batch_size

    def write(self, points: Sequence[Point]) -> None:
        """Encode and write points."""
        lines = encode_lines(points)
        if lines:
            self.write_lines(lines)

    def write_lines(self, lines: str) -> None:
        """Write line protocol in batches of at most ``batch_size`` lines."""
        rejections: list[TsdbRejected] = []
        for chunk in split_lines(lines, self.batch_size):
            try:
                self._send(chunk)
            except TsdbRejected as exc:
                rejections.append(exc)
        if rejections:
            raise _rejected_summary(rejections)

    def _send(self, chunk: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release resources (nothing by default)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _auth(username: str | None, password: str | None) -> httpx.BasicAuth | None:
    return httpx.BasicAuth(username, password or "") if username else None


class V1Writer(LineWriter):
    """``POST /write?db=...&precision=ns`` (InfluxDB 1.x; v1 compatibility of 2.x/3.x)."""

    def __init__(
        self,
        url: str,
        database: str,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
        batch_size: int = 5000,
        retention_policy: str | None = None,
    ) -> None:
        super().__init__(batch_size)
        self.url = url
        self.database = database
        self._params = {"db": database, "precision": "ns"}
        if retention_policy:
            self._params["rp"] = retention_policy
        self._http = httpx.Client(
            base_url=url, timeout=timeout_s, auth=_auth(username, password), trust_env=False
        )

    def _send(self, chunk: str) -> None:
        try:
            response = self._http.post(
                "/write",
                params=self._params,
                content=chunk.encode("utf-8"),
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
        except httpx.HTTPError as exc:
            raise TsdbUnavailable(f"InfluxDB write to {self.url} failed: {exc!r}") from exc
        if not response.is_success:
            raise _classify(response.status_code, _error_text(response), f"write to {self.url}")

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()


class V2Writer(LineWriter):
    """``/api/v2/write`` through ``influxdb-client`` (InfluxDB 1.8+, 2.x, 3.x).

    ``influxdb_client`` is imported on first use: it costs ~0.5 s to import.
    """

    def __init__(
        self,
        url: str,
        org: str,
        bucket: str,
        token: str,
        timeout_s: float = 10.0,
        batch_size: int = 5000,
    ) -> None:
        from influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        super().__init__(batch_size)
        self.url = url
        self.org = org
        self.bucket = bucket
        self._client = InfluxDBClient(
            url=url, token=token, org=org, timeout=int(timeout_s * 1000)
        )
        self._api = self._client.write_api(write_options=SYNCHRONOUS)

    def _send(self, chunk: str) -> None:
        import urllib3.exceptions
        from influxdb_client import WritePrecision
        from influxdb_client.client.exceptions import InfluxDBError
        from influxdb_client.rest import ApiException

        try:
            self._api.write(
                bucket=self.bucket, org=self.org, record=chunk,
                write_precision=WritePrecision.NS,  # type: ignore[arg-type]  # a str constant
            )
        except ApiException as exc:
            message = _api_exception_text(exc)
            status = int(exc.status or 0)
            raise _classify(status, message, f"v2 write to {self.url}") from exc
        except (InfluxDBError, urllib3.exceptions.HTTPError, OSError) as exc:
            raise TsdbUnavailable(f"InfluxDB v2 write to {self.url} failed: {exc!r}") from exc

    def close(self) -> None:
        """Close the client's connection pool."""
        self._api.close()
        self._client.close()


def _api_exception_text(exc: ApiException) -> str:
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body:
        try:
            parsed = json.loads(body)
        except ValueError:
            return body.strip()
        if isinstance(parsed, dict):
            for key in ("message", "error"):
                if isinstance(parsed.get(key), str):
                    return str(parsed[key])
        return body.strip()
    return str(exc.reason or "no response body")


class InfluxQLReader:
    """InfluxQL over ``POST /query`` with ``epoch=ns`` (timestamps are int nanoseconds)."""

    def __init__(
        self,
        url: str,
        database: str,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 30.0,
        token: str | None = None,
    ) -> None:
        self.url = url
        self.database = database
        headers = {"Authorization": f"Token {token}"} if token else None
        self._http = httpx.Client(
            base_url=url,
            timeout=timeout_s,
            auth=_auth(username, password),
            headers=headers,
            trust_env=False,
        )

    def query(self, q: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run InfluxQL and return one dict per row (columns plus the series' tags).

        ``params`` are bound parameters, referenced as ``$name`` in ``q``. Rows of every
        statement and series are concatenated in order. Raises ``TsdbError`` when the
        server reports an error (``TsdbUnavailable`` when it cannot be reached).
        """
        form = {"q": q, "epoch": "ns"}
        if self.database:
            form["db"] = self.database
        if params:
            form["params"] = json.dumps(dict(params))
        try:
            response = self._http.post("/query", data=form)
        except httpx.HTTPError as exc:
            raise TsdbUnavailable(f"InfluxDB query to {self.url} failed: {exc!r}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _classify(response.status_code, _error_text(response), "query")
        if "error" in body:
            raise TsdbError(f"InfluxDB query failed: {body['error']} (query: {q})")
        if not response.is_success:
            raise _classify(response.status_code, _error_text(response), "query")
        return _flatten(body, q)

    def ping(self) -> ServerStatus:
        """``GET /ping``: reachable or not, and the server version. Never raises."""
        try:
            response = self._http.get("/ping")
        except Exception as exc:  # a status probe must not fail its caller
            return ServerStatus(ok=False, error=repr(exc))
        version = response.headers.get("X-Influxdb-Version")
        if version is None:
            try:
                body = response.json()
                version = body.get("version") if isinstance(body, dict) else None
            except ValueError:
                version = None
        if response.is_success:
            return ServerStatus(ok=True, version=version)
        return ServerStatus(
            ok=False, version=version, error=f"HTTP {response.status_code}: {response.text[:200]}"
        )

    def create_database(self, name: str) -> None:
        """``CREATE DATABASE`` (a no-op if it exists)."""
        self.query(f"CREATE DATABASE {quote_ident(name)}")

    def drop_database(self, name: str) -> None:
        """``DROP DATABASE`` (a no-op if it does not exist)."""
        self.query(f"DROP DATABASE {quote_ident(name)}")

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _flatten(body: Mapping[str, Any], q: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for result in body.get("results") or []:
        if "error" in result:
            raise TsdbError(f"InfluxDB query failed: {result['error']} (query: {q})")
        for series in result.get("series") or []:
            if series.get("partial"):
                log.warning("InfluxDB returned a partial series for %r", q)
            tags = series.get("tags") or {}
            columns = series.get("columns") or []
            for values in series.get("values") or []:
                row = dict(tags)
                row.update(zip(columns, values, strict=False))
                rows.append(row)
    return rows


def api_for_version(version: str | None) -> Literal["v1", "v2"]:
    """Write API for a ``X-Influxdb-Version`` value: 1.x -> v1, 2.x/3.x -> v2.

    Unknown or missing versions get v1: every InfluxDB (1.x, and 2.x/3.x through their v1
    compatibility API) serves ``/write``.
    """
    text = (version or "").strip().lstrip("vV")
    if text.startswith(("2.", "3.")):
        return "v2"
    if not text.startswith("1."):
        log.warning("unknown InfluxDB version %r: writing through the v1 /write API", version)
    return "v1"


def make_writer(settings: InfluxSettings, url: str, server_version: str | None) -> Writer:
    """Writer for ``url`` per ``settings.write_api`` (``auto`` follows ``server_version``)."""
    api = settings.write_api if settings.write_api != "auto" else api_for_version(server_version)
    password = settings.password.get_secret_value() if settings.password else None
    if api == "v1":
        return V1Writer(
            url,
            settings.database,
            username=settings.username,
            password=password,
            timeout_s=settings.timeout_s,
            batch_size=settings.batch_size,
        )
    if settings.token is not None:
        token = settings.token.get_secret_value()
    elif settings.username:
        token = f"{settings.username}:{password or ''}"  # InfluxDB 1.8 v2-API credentials
    else:
        token = ""
    return V2Writer(
        url,
        org=settings.org,
        bucket=settings.bucket or settings.database,
        token=token,
        timeout_s=settings.timeout_s,
        batch_size=settings.batch_size,
    )
