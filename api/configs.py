"""Configuration backup routes: versions of a device's configuration, diffs, change events."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from provnet.api.paging import IdCursor, cursor_page
from provnet.api.params import MAX_ID, YEAR_PATTERN, DbId, Limit, Offset, parse_time
from provnet.api.schemas import Page
from provnet.inventory import configs
from provnet.inventory.model import Device
from provnet.inventory.store import Store

VersionId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such device or version"}}


class ConfigVersionOut(BaseModel):
    """One stored (scrubbed) configuration version."""

    id: int
    fetched_at: dt.datetime
    last_seen_at: dt.datetime
    sha256: str
    lines: int
    changed: bool


class ConfigChange(BaseModel):
    """The configuration of a device changed."""

    id: int
    device_id: int
    hostname: str
    at: dt.datetime
    from_version_id: int | None
    to_version_id: int
    lines_added: int
    lines_removed: int


#: configuration changes read for one page (newest first; a cursor finds its place in them)
MAX_CHANGES = 10_000

def _since(value: str | None) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    return parse_time(value, "since")


def config_router(store: Store) -> APIRouter:
    """Routes under ``/api/v1`` reading configuration versions from ``store``."""
    router = APIRouter(prefix="/api/v1", tags=["configuration"])

    def _device(s: object, device_id: int) -> Device:
        dev = s.get(Device, device_id)  # type: ignore[attr-defined]
        if dev is None:
            raise HTTPException(404, f"no device with id {device_id}")
        return dev  # type: ignore[no-any-return]

    @router.get("/devices/{device_id}/config", response_model=Page[ConfigVersionOut],
                responses=NOT_FOUND)
    def config_versions(request: Request, device_id: DbId, limit: Limit = 50,
                        offset: Offset = 0, cursor: IdCursor = None,
                        ) -> Page[ConfigVersionOut]:
        """Stored configuration versions of a device, newest first (text not included);
        ``next``: the following page by cursor (the last version's id)."""
        with store.session() as s:
            _device(s, device_id)
            vers = configs.versions(s, device_id)
        items = [ConfigVersionOut(**{k: v for k, v in asdict(r).items() if k != "device_id"})
                 for r in vers]
        return cursor_page(request, items, lambda v: v.id, limit, offset, cursor, "desc")

    @router.get("/devices/{device_id}/config/diff", response_class=PlainTextResponse,
                responses={**NOT_FOUND, 200: {"content": {"text/plain": {}},
                                              "description": "unified diff"}})
    def config_diff(device_id: DbId,
                    from_: Annotated[VersionId, Query(alias="from",
                                                      description="older version id")] = None,
                    to: Annotated[VersionId, Query(description="newer version id")] = None,
                    ) -> PlainTextResponse:
        """Unified diff between two versions; by default the newest and the one before it."""
        with store.session() as s:
            _device(s, device_id)
            ids = [v.id for v in configs.versions(s, device_id)]
            if to is None:
                if not ids:
                    raise HTTPException(404, f"device {device_id} has no stored configuration")
                to = ids[0]
            if from_ is None:
                older = [i for i in ids if i < to]
                if not older:
                    raise HTTPException(
                        404, f"version {to} of device {device_id} has no earlier version"
                        if to in ids else f"device {device_id} has no configuration version {to}")
                from_ = older[0]
            try:
                text = configs.diff_versions(s, device_id, from_, to)
            except configs.ConfigNotFound as exc:
                raise HTTPException(404, str(exc)) from exc
        return PlainTextResponse(text)

    @router.get("/devices/{device_id}/config/{version_id}", response_class=PlainTextResponse,
                responses={**NOT_FOUND, 200: {"content": {"text/plain": {}},
                                              "description": "scrubbed configuration"}})
    def config_text(device_id: DbId, version_id: DbId) -> PlainTextResponse:
        """The scrubbed text of one version (secrets were removed before storing)."""
        with store.session() as s:
            _device(s, device_id)
            try:
                return PlainTextResponse(configs.version_text(s, device_id, version_id).text)
            except configs.ConfigNotFound as exc:
                raise HTTPException(404, str(exc)) from exc

    @router.get("/config-changes", response_model=Page[ConfigChange])
    def config_changes(
        request: Request,
        since: Annotated[str | None, Query(
            max_length=40, json_schema_extra={"format": "date-time", "pattern": YEAR_PATTERN},
            description="RFC 3339 time, e.g. 2026-11-21T08:00:00+07:00; default 24 h ago")
        ] = None,
        device_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        limit: Limit = 200, offset: Offset = 0, cursor: IdCursor = None,
    ) -> Page[ConfigChange]:
        """Configuration changes since a time, newest first: what changed before an incident.
        ``next``: the following page by cursor (the last change's id; the page starts after
        that change, so changes recorded meanwhile do not shift it)."""
        start = _since(since)
        with store.session() as s:
            rows = configs.changes_since(s, start, device_id, limit=MAX_CHANGES)
        items = [ConfigChange(**asdict(r)) for r in rows]
        return cursor_page(request, items, lambda c: c.id, limit, offset, cursor, "any")

    return router
