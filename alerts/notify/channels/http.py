"""Shared HTTP POST with error translation (the only httpx user in the notifiers)."""

from __future__ import annotations

import ssl
from collections.abc import Mapping

import httpx

from provnet.alerts.notify.errors import ChannelError

_TLS: ssl.SSLContext | None = None


def _tls() -> ssl.SSLContext:
    """One TLS context (system CAs) for every request: building one costs ~40 ms of CPU."""
    global _TLS
    if _TLS is None:
        _TLS = ssl.create_default_context()
    return _TLS


# Statuses worth retrying; any other 4xx means the request itself is wrong.
_RETRY_STATUSES = frozenset({408, 425, 429})


def status_retryable(status: int) -> bool:
    """5xx, 408, 425 and 429 may succeed later; other 4xx will not."""
    return status >= 500 or status in _RETRY_STATUSES


async def post(
    channel: str,
    url: str,
    *,
    content: bytes,
    headers: Mapping[str, str],
    timeout_s: float,
    auth: tuple[str, str] | None = None,
    redact: str | None = None,
) -> httpx.Response:
    """POST ``content``; a transport error or a non-2xx answer becomes ``ChannelError``.

    ``redact`` (e.g. a bot token inside the URL) is removed from every error message.
    """

    def clean(text: str) -> str:
        return text.replace(redact, "***") if redact else text

    try:
        async with httpx.AsyncClient(timeout=timeout_s, verify=_tls()) as client:
            basic = httpx.BasicAuth(*auth) if auth else httpx.USE_CLIENT_DEFAULT
            resp = await client.post(url, content=content, headers=dict(headers), auth=basic)
    except httpx.HTTPError as exc:
        err = ChannelError(channel, clean(f"{type(exc).__name__}: {exc}"))
        if redact:  # the cause carries the URL with the secret in it
            raise err from None
        raise err from exc
    if resp.is_success:
        return resp
    body = clean(resp.text[:300].strip())
    raise ChannelError(
        channel, f"HTTP {resp.status_code}: {body}", retryable=status_retryable(resp.status_code)
    )
