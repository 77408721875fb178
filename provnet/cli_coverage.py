"""``provnet coverage ...``: compute, export and import for the coverage maps (maps/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from provnet.cli_common import open_settings_store
from provnet.maps.errors import ImportFormatError, MapsError

coverage_app = typer.Typer(no_args_is_help=True,
                           help="Coverage per commune: 4G/5G by operator, gaps, fibre reach")

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", exists=True, dir_okay=False,
                                                 help="YAML settings file")]
StateOpt = Annotated[Path | None, typer.Option("--state-dir", help="where data and logs live")]
GenOpt = Annotated[str, typer.Option("--generation", "-g", help="legacy or 2025")]


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


def _generation(value: str) -> Literal["legacy", "2025"]:
    if value not in ("legacy", "2025"):
        raise typer.BadParameter("generation must be legacy or 2025")
    return "legacy" if value == "legacy" else "2025"


@coverage_app.command("compute")
def compute(config: ConfigOpt = None, state_dir: StateOpt = None,
            force: Annotated[bool, typer.Option(help="ignore cached results")] = False) -> None:
    """Compute coverage of every commune (incremental: unchanged communes come from cache)."""
    from provnet.maps.coverage import CoverageService

    settings, store = open_settings_store(config, state_dir)
    try:
        st = CoverageService(store, settings).refresh(force=force)
    except MapsError as exc:
        raise _fail(exc) from exc
    finally:
        store.close()
    typer.echo(f"inventory version {st.version}: recomputed {st.recomputed}, "
               f"reused {st.reused} in {st.seconds:.2f} s")


@coverage_app.command("export")
def export(output: Annotated[Path, typer.Argument(help=".geojson or .kml file to write")],
           technology: Annotated[str, typer.Option("--technology", "-t")] = "4G",
           layer: Annotated[str, typer.Option(help="gaps, coverage or all")] = "gaps",
           commune: Annotated[str | None, typer.Option(help="one commune code")] = None,
           operator: Annotated[str | None, typer.Option()] = None,
           generation: GenOpt = "legacy", config: ConfigOpt = None,
           state_dir: StateOpt = None) -> None:
    """Export coverage/gap polygons (WGS84) as GeoJSON or KML, by the output's extension."""
    from provnet.maps.coverage import CoverageService
    from provnet.maps.io_export import to_kml

    gen = _generation(generation)
    kinds = {"gaps": ("gap",), "coverage": ("coverage",),
             "all": ("coverage", "gap", "fibre_reach")}.get(layer)
    if kinds is None:
        raise typer.BadParameter("layer must be gaps, coverage or all")
    settings, store = open_settings_store(config, state_dir)
    try:
        svc = CoverageService(store, settings)
        svc.refresh()
        if commune is not None and svc.result(commune, gen) is None:
            raise _fail(MapsError(f"no {gen} commune with code {commune}"))
        fc = svc.layers(commune, technology, operator, gen, kinds)
    except MapsError as exc:
        raise _fail(exc) from exc
    finally:
        store.close()
    if output.suffix.lower() == ".kml":
        output.write_bytes(to_kml(fc, f"provnet {layer} {technology}"))
    else:
        output.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    typer.echo(f"{len(fc['features'])} features -> {output}")


@coverage_app.command("import-opencellid")
def import_opencellid(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
                      mnc: Annotated[list[str] | None, typer.Option(
                          help="override an MNC's operator, e.g. --mnc 8=iTel (repeatable)")]
                      = None,
                      config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """Import OpenCelliD cells of MCC 452 as BTS (replaces earlier OpenCelliD imports)."""
    from provnet.maps.io_opencellid import OPERATORS, parse_opencellid, write_cells

    operators = dict(OPERATORS)
    for item in mnc or []:
        code, _, name = item.partition("=")
        if not code.strip().isdigit() or not name.strip():
            raise typer.BadParameter(f"--mnc wants NN=NAME, got {item!r}")
        operators[int(code)] = name.strip()
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            parsed = parse_opencellid(fh, path.name, operators)
    except UnicodeDecodeError as exc:
        raise _fail(ImportFormatError(path.name, f"byte {exc.start}",
                                      "not UTF-8 text (a binary file?)")) from exc
    except (MapsError, OSError) as exc:
        raise _fail(exc) from exc
    if not parsed.cells:
        typer.echo(f"{path.name}: no cell of MCC 452 (empty or header-only file, "
                   f"{parsed.skipped_other_mcc} rows of other countries): nothing changed")
        return
    _, store = open_settings_store(config, state_dir)
    try:
        with store.session() as s:
            counts = write_cells(s, parsed.cells)
    finally:
        store.close()
    typer.echo(f"{counts['sectors']} cells -> {counts['sites']} sites, {counts['bts']} BTS; "
               f"{parsed.skipped_other_mcc} rows of other countries skipped"
               + (f"; {parsed.duplicates} repeated cells read once" if parsed.duplicates else ""))


@coverage_app.command("import-boundaries")
def import_boundaries(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
                      generation: GenOpt = "legacy",
                      code_property: Annotated[str, typer.Option(
                          help="feature property holding the unit code")] = "code",
                      config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """Import commune boundaries from GeoJSON (all or nothing)."""
    from provnet.maps.io_geojson import parse_boundaries, write_boundaries

    gen = _generation(generation)
    try:
        boundaries = parse_boundaries(path.read_text(encoding="utf-8-sig"), path.name,
                                      code_property)
    except UnicodeDecodeError as exc:
        raise _fail(ImportFormatError(path.name, f"byte {exc.start}",
                                      "not UTF-8 text (a binary file?)")) from exc
    except (MapsError, OSError) as exc:
        raise _fail(exc) from exc
    for b in boundaries:
        if b.repaired:
            typer.echo(f"{path.name}: feature {b.feature} (code {b.code}): invalid polygon "
                       f"repaired ({b.repaired})")
    _, store = open_settings_store(config, state_dir)
    try:
        with store.session() as s:
            n = write_boundaries(s, boundaries, gen, path.name)
    except MapsError as exc:
        raise _fail(exc) from exc
    finally:
        store.close()
    typer.echo(f"{n} {gen} boundaries imported")
