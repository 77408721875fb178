"""A static SVG map of one commune for reports: outline, coverage per operator, hatched gaps,
BTS, legend, title and scale bar.

:func:`render_svg` is pure (geometries in UTM metres in, SVG text out); :func:`commune_svg`
gathers the inputs from the inventory and the coverage engine.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from shapely import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from provnet.maps.classes import shown
from provnet.maps.crs import lonlat_to_utm, to_utm
from provnet.maps.geojson import MapsContext
from provnet.maps.labels import labels

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SVG_SUGGESTIONS = 3  # suggested new sites drawn on a commune's static map
WIDTH = 900.0
MAP_W, MAP_H = 620.0, 560.0  # the map frame; the legend sits on the right
MARGIN, HEADER = 20.0, 64.0
GAP_COLOUR = "#c0392b"
SUGGEST_COLOUR = "#d35400"
FALLBACK_COLOUR = "#555555"


@dataclass(frozen=True)
class SvgLayer:
    """One filled layer: a coverage area of an operator, or the gap of a technology."""

    label: str
    geom: BaseGeometry
    colour: str
    kind: str  # "coverage" | "gap"
    operator: str | None = None


@dataclass(frozen=True)
class SvgSpec:
    """Everything the SVG shows; geometries and points in UTM metres."""

    title: str
    subtitle: str
    outline: BaseGeometry
    layers: Sequence[SvgLayer] = ()
    bts: Sequence[tuple[float, float, str]] = ()  # x, y, operator
    colours: dict[str, str] = field(default_factory=dict)
    bts_label: str = "BTS"
    note: str = ""
    footer: str = ""  # date and data source
    suggestions: Sequence[tuple[float, float, int]] = ()  # x, y, rank: suggested new sites
    suggestion_label: str = ""
    north: str = "N"  # the north arrow's letter (B for Bắc)


@dataclass(frozen=True)
class _Frame:
    """Maps UTM metres onto the SVG map frame (y grows downwards in SVG)."""

    minx: float
    maxy: float
    scale: float  # px per metre
    ox: float
    oy: float

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return self.ox + (x - self.minx) * self.scale, self.oy + (self.maxy - y) * self.scale


def _frame(bounds: tuple[float, float, float, float]) -> _Frame:
    minx, miny, maxx, maxy = bounds
    w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    scale = min(MAP_W / w, MAP_H / h)
    ox = MARGIN + (MAP_W - w * scale) / 2
    oy = HEADER + (MAP_H - h * scale) / 2
    return _Frame(minx, maxy, scale, ox, oy)


def _ring(coords: Any, f: _Frame) -> str:
    pts = [f.xy(x, y) for x, y in list(coords)[:-1]]
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z"


def path_data(geom: BaseGeometry, f: _Frame) -> str:
    """SVG path data of the polygonal parts of ``geom`` (holes drawn with evenodd)."""
    polys: list[Polygon] = []
    if isinstance(geom, Polygon):
        polys = [geom]
    elif isinstance(geom, MultiPolygon):
        polys = list(geom.geoms)
    elif hasattr(geom, "geoms"):
        polys = [g for g in geom.geoms if isinstance(g, Polygon)]
    return "".join(_ring(p.exterior.coords, f) + "".join(_ring(r.coords, f) for r in p.interiors)
                   for p in polys if not p.is_empty)


def nice_length(max_m: float) -> float:
    """The largest 1, 2 or 5 x 10^n metres not above ``max_m``."""
    if max_m <= 0:
        return 0.0
    base = 10 ** math.floor(math.log10(max_m))
    return max(m * base for m in (1, 2, 5) if m * base <= max_m)


def _length_label(m: float) -> str:
    return f"{m / 1000:g} km" if m >= 1000 else f"{m:g} m"


def _scale_bar(f: _Frame) -> str:
    metres = nice_length(MAP_W / 4 / f.scale)
    px = metres * f.scale
    x0, y0 = MARGIN + 8, HEADER + MAP_H - 14
    return (f'<g id="scale-bar" font-size="12">'
            f'<rect x="{x0 - 4}" y="{y0 - 18}" width="{px + 8:.1f}" height="26" fill="#fff" '
            f'fill-opacity="0.85"/>'
            f'<path d="M{x0},{y0 - 4}V{y0}H{x0 + px:.1f}V{y0 - 4}" fill="none" stroke="#222" '
            f'stroke-width="2"/><text x="{x0 + px / 2:.1f}" y="{y0 - 6}" text-anchor="middle">'
            f"{escape(_length_label(metres))}</text></g>")


def _legend(spec: SvgSpec) -> str:
    x, y = MARGIN + MAP_W + 24, HEADER + 10
    rows: list[str] = []
    for i, layer in enumerate(spec.layers):
        fill = "url(#hatch)" if layer.kind == "gap" else layer.colour
        opacity = "1" if layer.kind == "gap" else "0.35"
        rows.append(f'<rect x="{x}" y="{y + i * 24}" width="22" height="14" fill="{fill}" '
                    f'fill-opacity="{opacity}" stroke="{layer.colour}"/>'
                    f'<text x="{x + 30}" y="{y + i * 24 + 12}">{escape(layer.label)}</text>')
    yb = y + len(spec.layers) * 24 + 8
    ops = sorted({op for _, _, op in spec.bts})
    for j, op in enumerate(ops):
        c = spec.colours.get(op, FALLBACK_COLOUR)
        rows.append(f'<circle cx="{x + 11}" cy="{yb + j * 22 + 7}" r="5" fill="{c}" '
                    f'stroke="#fff"/><text x="{x + 30}" y="{yb + j * 22 + 12}">'
                    f"{escape(spec.bts_label)} {escape(op)}</text>")
    if spec.suggestions:
        ys = yb + len(ops) * 22 + 8
        rows.append(f'<circle cx="{x + 11}" cy="{ys + 7}" r="8" fill="{SUGGEST_COLOUR}" '
                    f'stroke="#fff"/><text x="{x + 30}" y="{ys + 12}">'
                    f"{escape(spec.suggestion_label)}</text>")
    return f'<g id="legend" font-size="13">{"".join(rows)}</g>'


def _north_arrow(label: str) -> str:
    x, y = MARGIN + MAP_W - 30, HEADER + 18
    return (f'<g id="north-arrow"><circle cx="{x}" cy="{y + 14}" r="17" fill="#fff" '
            f'fill-opacity="0.85"/><path d="M{x},{y}L{x + 7},{y + 22}L{x},{y + 17}'
            f'L{x - 7},{y + 22}Z" fill="#143a5a"/><text x="{x}" y="{y + 32}" font-size="10" '
            f'text-anchor="middle" font-weight="bold">{escape(label)}</text></g>')


def _suggestion(px: float, py: float, rank: int) -> str:
    return (f'<g class="suggestion"><circle cx="{px:.1f}" cy="{py:.1f}" r="9" '
            f'fill="{SUGGEST_COLOUR}" stroke="#fff" stroke-width="1.5"/>'
            f'<text x="{px:.1f}" y="{py + 4:.1f}" font-size="11" font-weight="bold" '
            f'fill="#fff" text-anchor="middle">{rank}</text></g>')


def render_svg(spec: SvgSpec) -> str:
    """The SVG document (UTF-8 text) of one commune map."""
    f = _frame(spec.outline.bounds)
    height = HEADER + MAP_H + 44 + (20 if spec.note else 0)
    layers = "".join(
        f'<path class={quoteattr(layer.kind)} data-label={quoteattr(layer.label)} '
        f'd="{path_data(layer.geom, f)}" fill-rule="evenodd" '
        + (f'fill="url(#hatch)" stroke="{GAP_COLOUR}" stroke-width="0.8"/>' if layer.kind == "gap"
           else f'fill="{layer.colour}" fill-opacity="0.25" stroke="{layer.colour}" '
                f'stroke-opacity="0.7" stroke-width="0.8"/>')
        for layer in spec.layers if not layer.geom.is_empty)
    bts = "".join(_bts_circle(*f.xy(x, y), op, spec.colours) for x, y, op in spec.bts)
    sugg = "".join(_suggestion(*f.xy(x, y), rank) for x, y, rank in spec.suggestions)
    lines = spec.footer.split(" · ", 1) if spec.footer else []  # date; source
    footer = (f'<text id="footer" x="{MARGIN}" y="{HEADER + MAP_H + 20}" font-size="11" '
              f'fill="#3b4754">' + "".join(
                  f'<tspan x="{MARGIN}" dy="{0 if i == 0 else 14}">{escape(line)}</tspan>'
                  for i, line in enumerate(lines)) + "</text>") if lines else ""
    note = (f'<text x="{MARGIN}" y="{HEADER + MAP_H + 54}" font-size="11" fill="#5f6b78" '
            f'font-style="italic">{escape(spec.note)}</text>') if spec.note else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:g} {height:g}" '
        f'width="{WIDTH:g}" height="{height:g}" font-family="DejaVu Sans, Arial, sans-serif">'
        f"<title>{escape(spec.title)}</title>"
        '<defs><pattern id="hatch" patternUnits="userSpaceOnUse" width="8" height="8" '
        'patternTransform="rotate(45)"><rect width="8" height="8" fill="#c0392b" '
        f'fill-opacity="0.08"/><line x1="0" y1="0" x2="0" y2="8" stroke="{GAP_COLOUR}" '
        'stroke-width="2"/></pattern>'
        f'<clipPath id="frame"><rect x="{MARGIN}" y="{HEADER}" width="{MAP_W}" '
        f'height="{MAP_H}"/></clipPath></defs>'
        f'<rect width="100%" height="100%" fill="#ffffff"/>'
        f'<text id="title" x="{MARGIN}" y="30" font-size="22" font-weight="bold" fill="#143a5a">'
        f"{escape(spec.title)}</text>"
        f'<text id="subtitle" x="{MARGIN}" y="52" font-size="13" fill="#5f6b78">'
        f"{escape(spec.subtitle)}</text>"
        f'<rect x="{MARGIN}" y="{HEADER}" width="{MAP_W}" height="{MAP_H}" fill="#f3efe4" '
        'stroke="#d9dee4"/>'
        f'<g id="map" clip-path="url(#frame)">'
        f'<path id="outline-fill" d="{path_data(spec.outline, f)}" fill="#ffffff" '
        'fill-rule="evenodd"/>'
        f'<g id="layers">{layers}</g>'
        f'<path id="outline" d="{path_data(spec.outline, f)}" fill="none" stroke="#143a5a" '
        'stroke-width="2.5" fill-rule="evenodd"/>'
        f'<g id="bts">{bts}</g><g id="suggestions">{sugg}</g></g>'
        f"{_scale_bar(f)}{_north_arrow(spec.north)}{_legend(spec)}{footer}{note}</svg>\n")


def _bts_circle(px: float, py: float, op: str, colours: dict[str, str]) -> str:
    return (f'<circle class="bts" cx="{px:.1f}" cy="{py:.1f}" r="4.5" '
            f'fill="{colours.get(op, FALLBACK_COLOUR)}" stroke="#fff" stroke-width="1.2">'
            f"<title>{escape(op)}</title></circle>")


def _pct(v: float, lang: str) -> str:
    text = f"{shown(v):.1f} %"  # clamped and rounded like the pages: never "-0.0 %"
    return text.replace(".", ",") if lang == "vi" else text


def commune_svg(ctx: MapsContext, code: str, generation: str, technology: str, lang: str,
                colours: dict[str, str]) -> str | None:
    """The SVG of one commune (None if unknown or without boundary)."""
    from provnet.maps import geo_data

    t = labels(lang)
    unit = ctx.commune(generation, code)
    if unit is None or unit.geom is None:
        return None
    layers: list[SvgLayer] = []
    result = ctx.coverage.result(code, generation) if ctx.coverage is not None else None
    if result is not None:
        for (op, tech), geom in sorted(result.coverage.items()):
            if tech == technology:
                layers.append(SvgLayer(t["layer_cov"].format(op=op, tech=tech), geom,
                                       colours.get(op, FALLBACK_COLOUR), "coverage", op))
        gap = result.gaps.get(technology)
        if gap is not None:
            layers.append(SvgLayer(t["layer_gap"].format(tech=technology), gap, GAP_COLOUR, "gap"))
    with ctx.store.session() as s:
        sites = geo_data.bts_sites(s, unit.legacy_ids or (-1,))
    bts = [(*lonlat_to_utm(x.lon, x.lat), str(x.detail["operator"])) for x in sites
           if technology in x.detail.get("technologies", [])]  # type: ignore[operator]
    sub = [f"{t['code']} {unit.code}"]
    if unit.parent_name and generation == "legacy":
        sub.append(unit.parent_name)
    sub.append(t["gen_legacy"] if generation == "legacy" else t["gen_2025"])
    if result is not None:
        cov = result.by_technology.get(technology, {})
        sub.append(f"{technology}: {_pct(cov.get('any_pct', 0), lang)} · "
                   f"{t['gap']} {_pct(cov.get('none_pct', 0), lang)}")
    sugg: list[tuple[float, float, int]] = []
    computed = "–"
    if result is not None and ctx.coverage is not None:
        sugg = [(*lonlat_to_utm(x.lon, x.lat), x.rank)
                for x in ctx.coverage.infill(code, technology, generation, SVG_SUGGESTIONS) or []]
        computed = local_time(ctx.coverage.commune(code, generation)["computed_at"])
    footer = (f"{t['generated']}: {local_time()} · {t['source']}: "
              + t["source_text"].format(computed=computed))
    return render_svg(SvgSpec(
        title=f"{unit.name} — {t['svg_title'].format(tech=technology)}",
        subtitle=" · ".join(sub),
        outline=to_utm(unit.geom), layers=layers, bts=bts, colours=colours,
        bts_label=t["bts_count"], note=t["synthetic"] if unit.synthetic else "",
        footer=footer, suggestions=sugg,
        suggestion_label=t["layer_infill"].format(tech=technology), north=t["north"]))


def local_time(iso: str | None = None) -> str:
    """An ISO time (default now) as ``dd/mm/yyyy HH:MM (GMT+7)`` in Asia/Ho_Chi_Minh."""
    when = dt.datetime.fromisoformat(iso) if iso else dt.datetime.now(dt.UTC)
    return when.astimezone(ZONE).strftime("%d/%m/%Y %H:%M") + " (GMT+7)"


def svg_to_png(svg: bytes, scale: float = 2.0) -> bytes:
    """A PNG of an SVG document drawn by cairo (``cairosvg``), ``scale`` times its size."""
    import cairosvg  # imported here: only the PNG route needs libcairo

    return bytes(cairosvg.svg2png(bytestring=svg, scale=scale))
