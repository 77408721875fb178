"""Message text from jinja2 templates (``templates/<language>/``): pure, no I/O beyond loading.

Each event has three templates per language: ``<event>.subject.txt``, ``<event>.txt`` and
``<event>.html`` (HTML autoescaped). Times are shown in the province's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import jinja2

from provnet.alerts.notify.errors import NotifyError
from provnet.alerts.notify.types import AffectedSite, ConfigChangeNote, Notification, Rendered
from provnet.inventory.search import fold

Language = Literal["vi", "en"]
LANGUAGES: tuple[Language, ...] = ("vi", "en")
DEFAULT_TZ = "Asia/Ho_Chi_Minh"
TEMPLATES = __package__ or "provnet.alerts.notify"

_SEVERITY = {
    "vi": {
        "critical": "Nghiêm trọng",
        "major": "Cao",
        "minor": "Trung bình",
        "warning": "Cảnh báo",
        "info": "Thông tin",
    },
    "en": {
        "critical": "Critical",
        "major": "Major",
        "minor": "Minor",
        "warning": "Warning",
        "info": "Info",
    },
}
_NO_DISTRICT = {"vi": "(không rõ huyện)", "en": "(no district)"}


@dataclass(frozen=True)
class DistrictGroup:
    """Affected sites of one district, sorted by name."""

    district: str
    sites: tuple[AffectedSite, ...]


def group_by_district(
    affected: tuple[AffectedSite, ...], language: Language
) -> list[DistrictGroup]:
    """Group sites by district (sorted without regard to diacritics); unknown district last."""
    groups: dict[str | None, list[AffectedSite]] = {}
    for site in affected:
        groups.setdefault(site.district, []).append(site)

    def order(d: str | None) -> tuple[int, str]:
        return (1, "") if d is None else (0, fold(d))

    return [
        DistrictGroup(
            district=_NO_DISTRICT[language] if d is None else d,
            sites=tuple(sorted(groups[d], key=lambda s: (fold(s.site_name), s.site_code))),
        )
        for d in sorted(groups, key=order)
    ]


def format_duration(delta: timedelta, language: Language) -> str:
    """``1 h 05 min``-style duration (seconds dropped above one hour)."""
    total = max(0, int(delta.total_seconds()))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    units = {"vi": ("ngày", "giờ", "phút", "giây"), "en": ("d", "h", "min", "s")}[language]
    parts = [(days, units[0]), (hours, units[1]), (minutes, units[2])]
    if total < 3600:
        parts.append((seconds, units[3]))
    shown = [f"{value} {unit}" for value, unit in parts if value] or [f"0 {units[3]}"]
    return " ".join(shown)


def change_when(c: ConfigChangeNote, language: Language) -> str:
    """``3 phút trước khi sự cố bắt đầu`` / ``3 min before the incident started``."""
    minutes = abs(c.minutes_before)
    amount = (f"{minutes:.0f} {'phút' if language == 'vi' else 'min'}" if minutes >= 1
              else ("dưới 1 phút" if language == "vi" else "under 1 min"))
    if language == "vi":
        return f"{amount} {'trước' if c.minutes_before >= 0 else 'sau'} khi sự cố bắt đầu"
    return f"{amount} {'before' if c.minutes_before >= 0 else 'after'} the incident started"


@lru_cache(maxsize=4)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(TEMPLATES, "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def _context(n: Notification, language: Language, tz: ZoneInfo) -> dict[str, object]:
    inc = n.incident

    def local(ts: datetime | None) -> str:
        if ts is None:
            return ""
        aware = ts if ts.tzinfo else ts.replace(tzinfo=UTC)
        shown = aware.astimezone(tz)
        offset = (shown.utcoffset() or timedelta()).total_seconds() / 3600
        return f"{shown:%Y-%m-%d %H:%M:%S} UTC{offset:+g}"

    late = inc.labels.get("late_by_s", "")  # detected late (a remote node was cut off)
    duration = None
    if inc.resolved_at is not None:
        duration = format_duration(inc.resolved_at - inc.started_at, language)
    return {
        "n": n,
        "inc": inc,
        "title": inc.title_in(language),
        "cause": inc.root_cause_in(language),
        "severity": _SEVERITY[language][inc.severity],
        "started": local(inc.started_at),
        "resolved": local(inc.resolved_at),
        "duration": duration,
        "groups": group_by_district(inc.affected, language),
        "count": len(inc.affected),
        "labels": sorted(inc.labels.items()),
        "kind": inc.labels.get("kind", ""),  # "late" | "digest" (alerts/latecomers.py)
        "node": inc.labels.get("node", ""),
        "late": format_duration(timedelta(seconds=float(late)), language) if late else "",
        "changes": [{"c": c, "at": local(c.at), "when": change_when(c, language)}
                    for c in inc.config_changes],
    }


def render(n: Notification, language: Language = "vi", *, tz: str = DEFAULT_TZ) -> Rendered:
    """Render ``n`` in ``language``: subject (one line), plain text and HTML."""
    if language not in LANGUAGES:
        raise NotifyError(f"unknown language {language!r} (expected one of {LANGUAGES})")
    env = _environment()
    ctx = _context(n, language, ZoneInfo(tz))
    try:
        subject = env.get_template(f"{language}/{n.event}.subject.txt").render(ctx)
        text = env.get_template(f"{language}/{n.event}.txt").render(ctx)
        html = env.get_template(f"{language}/{n.event}.html").render(ctx)
    except jinja2.TemplateError as exc:
        raise NotifyError(f"template {language}/{n.event}: {exc}") from exc
    return Rendered(subject=" ".join(subject.split()), text=text, html=html)
