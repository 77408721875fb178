"""Routes of the shell itself: ``/lang/{code}`` switches the language and goes back."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from provnet.api.ui.render import finish

NextQ = Annotated[str | None, Query(alias="next", max_length=2000)]


def safe_next(target: str | None) -> str:
    """A same-site path to go back to (``/`` for anything else: no open redirect)."""
    ok = target and target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else "/"  # type: ignore[return-value]


def shell_router() -> APIRouter:
    """``GET /lang/{code}?next=/path``: remember the language (cookie) and go back."""
    r = APIRouter(tags=["pages"])

    @r.get("/lang/{code}", status_code=303, response_class=RedirectResponse,
           responses={303: {"description": "back to ``next`` with the language remembered"}})
    def switch(request: Request, code: Literal["vi", "en"],
               next_: NextQ = None) -> Response:
        """Switch the page language (remembered for a year) and go back to ``next``."""
        return finish(request, RedirectResponse(safe_next(next_), 303), code)

    return r
