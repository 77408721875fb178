"""Inventory objects under ``/api/v1/inventory/{kind}``: list with filters, detail, and
create/update/delete with exactly the import's checks (every change audited: who, when,
before/after). Kinds, fields and keys are those of the import files (docs/inventory.md).

The key in a path is the natural key, its parts joined by ``/`` (the last part may hold
slashes: ``/api/v1/inventory/interfaces/r1/ge-0/0/1``). ``X-Actor`` names who changes (free
text until authentication exists); 404 unknown object, 409 conflict, 422 invalid input.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Body, Header, HTTPException, Path, Query, Request
from pydantic import BaseModel, RootModel
from sqlalchemy.exc import SQLAlchemyError

from provnet.api import schemas
from provnet.api.auth import author
from provnet.api.paging import IdCursor, KeyCursor, cursor_page
from provnet.api.params import Limit, Offset
from provnet.inventory import audit, records
from provnet.inventory.io_spec import KINDS
from provnet.inventory.store import Store

Kind = Enum("Kind", {k: k for k in KINDS}, type=str)  # type: ignore[misc]
Text = Annotated[str | None, Query(max_length=100)]
KeyPath = Annotated[str, Path(max_length=400, description="natural key, parts joined by /")]
Actor = Annotated[str, Header(max_length=360, description="who makes the change (free text, "
                                                         "percent-encoded UTF-8 allowed)")]
Obj = Annotated[dict[str, Any], Body(description="fields as in the import files")]


class InventoryObject(RootModel[dict[str, Any]]):
    """One inventory object: the import file's fields of its kind."""


class InventoryChange(BaseModel):
    """One audited change: who, when, what, before and after."""

    id: int
    at: str
    actor: str
    kind: str
    key: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _fail(exc: records.EditError) -> HTTPException:
    return HTTPException(exc.status, exc.reasons if len(exc.reasons) > 1 else exc.reasons[0])


def _db(exc: SQLAlchemyError) -> HTTPException:
    orig = getattr(exc, "orig", None) or exc
    return HTTPException(409, f"the store refused the change: {type(orig).__name__}")


def inventory_objects_router(store: Store, poller_groups: Sequence[str] = ()) -> APIRouter:
    """The routes, around one store; ``poller_groups``: the centre's ``cluster.groups``
    names (a ``poller_group`` outside them is a 422; not checked when empty)."""
    r = APIRouter(tags=["inventory"])

    def _audit(who: audit.Who, action: str, target: str, before: Any, after: Any) -> None:
        with store.session() as s:  # the change itself is also in inventory_change
            audit.record(s, who, action, target, before, after)
    base = "/api/v1/inventory/{kind}"

    @r.get(base, response_model=schemas.Page[InventoryObject])
    def list_objects(request: Request, kind: Kind, district: Text = None,
                     commune: Text = None, q: Text = None, role: Text = None,
                     type_: Annotated[str | None, Query(
                         alias="kind", max_length=40, description="site/link/fibre kind or "
                                                                 "unit level")] = None,
                     generation: Text = None, device: Text = None, site: Text = None,
                     limit: Limit = 200, offset: Offset = 0, cursor: KeyCursor = None
                     ) -> Any:
        """Objects of ``kind`` in natural-key order; ``next``: the following page by cursor
        (the last object's key, e.g. ``r1/ge-0/0/1``)."""
        f = records.Filters(district, commune, type_, role, q, generation, device, site)
        items = records.list_records(store, kind.value, f)
        names = KINDS[kind.value].key
        return cursor_page(request, items, lambda r: "/".join(str(r[k]) for k in names),
                           limit, offset, cursor, "any")

    @r.get(base + "/{key:path}", responses={404: {"description": "no such object"}})
    def get_object(kind: Kind, key: KeyPath) -> dict[str, Any]:
        try:
            return records.get_record(store, kind.value, records.parse_key(kind.value, key))
        except records.EditError as exc:
            raise _fail(exc) from exc

    @r.post(base, status_code=201, responses={400: {"description": "body is not JSON"},
                                              409: {"description": "exists"},
                                              422: {"description": "invalid"}})
    def create_object(kind: Kind, body: Obj, request: Request,
                      x_actor: Actor = "api") -> dict[str, Any]:
        who = author(request, unquote(x_actor))  # the authenticated user, when there is one
        try:
            after = records.create(store, kind.value, body, who.actor, poller_groups)
            _audit(who, f"inventory.{kind.value}.create", kind.value, None, after)
            return after
        except records.EditError as exc:
            raise _fail(exc) from exc
        except SQLAlchemyError as exc:
            raise _db(exc) from exc

    @r.put(base + "/{key:path}", responses={400: {"description": "body is not JSON"},
                                            404: {"description": "no such object"},
                                            409: {"description": "conflict"},
                                            422: {"description": "invalid"}})
    def update_object(kind: Kind, key: KeyPath, body: Obj,
                      request: Request, x_actor: Actor = "api") -> dict[str, Any]:
        who = author(request, unquote(x_actor))
        try:
            parsed = records.parse_key(kind.value, key)
            before = records.get_record(store, kind.value, parsed)
            after = records.update(store, kind.value, parsed, body, who.actor,
                                   poller_groups)
            _audit(who, f"inventory.{kind.value}.update", f"{kind.value}/{key}", before, after)
            return after
        except records.EditError as exc:
            raise _fail(exc) from exc
        except SQLAlchemyError as exc:
            raise _db(exc) from exc

    @r.delete(base + "/{key:path}", status_code=204,
              responses={404: {"description": "no such object"},
                         409: {"description": "still referred to"}})
    def delete_object(kind: Kind, key: KeyPath, request: Request,
                      x_actor: Actor = "api") -> None:
        who = author(request, unquote(x_actor))
        try:
            parsed = records.parse_key(kind.value, key)
            before = records.get_record(store, kind.value, parsed)
            records.delete(store, kind.value, parsed, who.actor)
            _audit(who, f"inventory.{kind.value}.delete", f"{kind.value}/{key}", before, None)
        except records.EditError as exc:
            raise _fail(exc) from exc
        except SQLAlchemyError as exc:
            raise _db(exc) from exc

    @r.get("/api/v1/inventory-changes", response_model=schemas.Page[InventoryChange])
    def changes(request: Request, kind: Text = None, limit: Limit = 100, offset: Offset = 0,
                cursor: IdCursor = None) -> Any:
        """The audit trail, newest first; ``next``: the following page by cursor (the last
        change's id, so changes recorded meanwhile do not shift it)."""
        return cursor_page(request, records.changes(store, kind), lambda c: c["id"], limit,
                           offset, cursor, "desc")

    return r
