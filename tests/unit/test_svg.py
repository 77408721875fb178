"""maps.svg.render_svg: well-formed XML, viewBox, the expected elements, escaped text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from shapely import MultiPolygon, Polygon, box

from provnet.maps.svg import (
    HEADER,
    MAP_H,
    MAP_W,
    MARGIN,
    SvgLayer,
    SvgSpec,
    nice_length,
    render_svg,
)

NS = {"s": "http://www.w3.org/2000/svg"}
SQUARE = box(500_000, 1_150_000, 510_000, 1_160_000)  # 10 km x 10 km in UTM 48N
HOLED = Polygon(SQUARE.exterior.coords, [box(504_000, 1_154_000, 506_000, 1_156_000)
                                         .exterior.coords])
TWO = MultiPolygon([box(500_000, 1_150_000, 502_000, 1_152_000),
                    box(508_000, 1_158_000, 510_000, 1_160_000)])
COLOURS = {"Viettel": "#00897b", "VinaPhone": "#1f6fd1"}
FULL = SvgSpec(
    title="Xã Phú Thọ — Vùng phủ sóng 4G", subtitle="Mã 30448", outline=SQUARE,
    layers=[SvgLayer("Viettel · 4G", box(500_000, 1_150_000, 506_000, 1_160_000), "#00897b",
                     "coverage", "Viettel"),
            SvgLayer("VinaPhone · 4G", box(503_000, 1_150_000, 508_000, 1_160_000), "#1f6fd1",
                     "coverage", "VinaPhone"),
            SvgLayer("Vùng lõm 4G", box(508_000, 1_150_000, 510_000, 1_160_000), "#c0392b",
                     "gap")],
    bts=[(501_000, 1_151_000, "Viettel"), (504_000, 1_155_000, "VinaPhone"),
         (505_000, 1_159_000, "Viettel")],
    colours=COLOURS, bts_label="Trạm BTS", note="Ranh giới tổng hợp")


def _parse(spec: SvgSpec) -> ET.Element:
    return ET.fromstring(render_svg(spec).encode("utf-8"))


@pytest.mark.parametrize(
    ("spec", "coverage", "gaps", "bts", "legend_rows"),
    [
        (SvgSpec("Xã A", "", SQUARE), 0, 0, 0, 0),
        (FULL, 2, 1, 3, 3 + 2),  # three layers, two BTS operators
        (SvgSpec("Xã B", "", SQUARE, layers=FULL.layers[2:]), 0, 1, 0, 1),
        (SvgSpec("Xã C", "", SQUARE, bts=FULL.bts, colours=COLOURS), 0, 0, 3, 2),
    ],
    ids=["outline-only", "full", "gap-only", "bts-only"],
)
def test_elements(spec: SvgSpec, coverage: int, gaps: int, bts: int, legend_rows: int) -> None:
    root = _parse(spec)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert re.fullmatch(r"0 0 900 \d+(\.\d+)?", root.attrib["viewBox"])
    assert root.find("s:title", NS) is not None
    assert root.find(".//s:path[@id='outline']", NS) is not None
    assert root.find(".//s:g[@id='scale-bar']", NS) is not None
    assert root.find(".//s:defs/s:pattern[@id='hatch']", NS) is not None
    assert len(root.findall(".//s:path[@class='coverage']", NS)) == coverage
    gap_paths = root.findall(".//s:path[@class='gap']", NS)
    assert len(gap_paths) == gaps
    assert all(p.attrib["fill"] == "url(#hatch)" for p in gap_paths)
    assert len(root.findall(".//s:circle[@class='bts']", NS)) == bts
    legend = root.find(".//s:g[@id='legend']", NS)
    assert legend is not None and len(legend.findall("s:text", NS)) == legend_rows


@pytest.mark.parametrize(
    "title",
    ["Xã Phú Thọ — Vùng phủ sóng 4G", "Phường Mỹ Bình", "A & B <xã> \"Ồ\" 'ạ'"],
)
def test_title_with_diacritics_and_markup_is_escaped(title: str) -> None:
    root = _parse(SvgSpec(title, "Huyện Tri Tôn", SQUARE))
    assert root.find("s:title", NS).text == title  # type: ignore[union-attr]
    assert root.find(".//s:text[@id='title']", NS).text == title  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("outline", "rings"),
    [(SQUARE, 1), (HOLED, 2), (TWO, 2)],
    ids=["square", "square-with-hole", "two-parts"],
)
def test_outline_rings_fit_the_frame(outline: Polygon | MultiPolygon, rings: int) -> None:
    root = _parse(SvgSpec("Xã", "", outline))
    d = root.find(".//s:path[@id='outline']", NS).attrib["d"]  # type: ignore[union-attr]
    assert d.count("M") == rings and d.count("Z") == rings
    nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]
    xs, ys = nums[0::2], nums[1::2]
    assert min(xs) >= MARGIN - 0.1 and max(xs) <= MARGIN + MAP_W + 0.1
    assert min(ys) >= HEADER - 0.1 and max(ys) <= HEADER + MAP_H + 0.1
    # a square stays square (one scale for both axes), north up
    assert max(xs) - min(xs) == pytest.approx(max(ys) - min(ys), abs=0.2)


def test_north_is_up() -> None:
    spec = SvgSpec("Xã", "", SQUARE, bts=[(505_000, 1_159_000, "Viettel")], colours=COLOURS)
    circle = _parse(spec).find(".//s:circle[@class='bts']", NS)
    assert circle is not None and float(circle.attrib["cy"]) < HEADER + MAP_H / 2


@pytest.mark.parametrize(
    ("max_m", "expected"),
    [(0.0, 0.0), (0.7, 0.5), (1.0, 1.0), (1234.0, 1000.0), (2500.0, 2000.0), (2767.0, 2000.0),
     (7000.0, 5000.0), (10_000.0, 10_000.0), (19_999.0, 10_000.0)],
)
def test_nice_length(max_m: float, expected: float) -> None:
    assert nice_length(max_m) == pytest.approx(expected)


def test_scale_bar_label_for_a_10_km_commune() -> None:
    bar = _parse(SvgSpec("Xã", "", SQUARE)).find(".//s:g[@id='scale-bar']/s:text", NS)
    assert bar is not None and bar.text == "2 km"


def test_scale_bar_length_matches_the_map_scale() -> None:
    root = _parse(SvgSpec("Xã", "", SQUARE))
    d = root.find(".//s:g[@id='scale-bar']/s:path", NS).attrib["d"]  # type: ignore[union-attr]
    x0 = float(re.match(r"M([\d.]+),", d).group(1))  # type: ignore[union-attr]
    x1 = float(re.search(r"H([\d.]+)", d).group(1))  # type: ignore[union-attr]
    px_per_m = min(MAP_W, MAP_H) / 10_000  # the 10 km square fills the frame's short side
    assert x1 - x0 == pytest.approx(2000 * px_per_m, abs=0.1)


def _text(el: ET.Element | None) -> str:
    assert el is not None
    return "".join(el.itertext())


def test_report_marks_north_arrow_date_source_and_suggested_sites() -> None:
    spec = SvgSpec("Xã A", "", SQUARE, footer="Lập lúc: 02/12/2026 13:22 (GMT+7) · Nguồn số liệu",
                   suggestions=[(505_000, 1_155_000, 1), (509_000, 1_159_000, 2)],
                   suggestion_label="Đề xuất vị trí BTS mới (4G)", north="B")
    root = _parse(spec)
    assert _text(root.find(".//s:g[@id='north-arrow']", NS)) == "B"
    assert _text(root.find(".//s:text[@id='footer']", NS)).startswith("Lập lúc")
    ranks = [_text(g) for g in root.iterfind(".//s:g[@class='suggestion']", NS)]
    assert ranks == ["1", "2"]
    assert "Đề xuất vị trí BTS mới (4G)" in _text(root.find(".//s:g[@id='legend']", NS))
    plain = _parse(SvgSpec("Xã A", "", SQUARE))
    assert plain.find(".//s:text[@id='footer']", NS) is None
    assert not list(plain.iterfind(".//s:g[@class='suggestion']", NS))


def test_png_is_the_svg_drawn_by_cairo() -> None:
    import io

    from PIL import Image

    from provnet.maps.svg import SUGGEST_COLOUR, svg_to_png

    spec = SvgSpec("Xã Phú Thọ", "Mã 30448", SQUARE, layers=FULL.layers, bts=FULL.bts,
                   colours=COLOURS, footer="Lập lúc: 02/12/2026 · Nguồn số liệu: provnet",
                   suggestions=[(505_000, 1_155_000, 1)], north="B")
    svg = render_svg(spec)
    png = svg_to_png(svg.encode("utf-8"), scale=1.0)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    img = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = (float(v) for v in _parse(spec).attrib["viewBox"].split()[2:])
    assert img.size == (round(width), round(height))
    orange = tuple(int(SUGGEST_COLOUR[i:i + 2], 16) for i in (1, 3, 5))
    colours = {c for _, c in img.getcolors(maxcolors=1 << 20) or []}
    assert orange in colours  # the suggested site is drawn
    assert (0x14, 0x3A, 0x5A) in colours  # the north arrow and the outline
