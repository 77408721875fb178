"""Coverage results cached on disk per inventory version, reused per commune fingerprint.

A commune's fingerprint hashes everything its result depends on: its boundary, the rows of
every sector whose footprint intersects it, the fibre points whose drop disc reaches it and
the coverage settings. After one BTS changes, only communes touched by its old or new
footprint get a new fingerprint, so only they are recomputed. Files: one JSON document per
generation under ``<state_dir>/coverage/``, written atomically (temp file + rename).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from provnet.config.settings import CoverageSettings
from provnet.maps.coverage_data import Areas
from provnet.maps.engine import CommuneCoverage, IntArray, Prepared
from provnet.maps.errors import MapsError

FORMAT = 1


def settings_digest(cfg: CoverageSettings) -> bytes:
    """Digest of the settings that change results."""
    return hashlib.blake2b(cfg.model_dump_json().encode(), digest_size=12).digest()


def fibre_digests(prep: Prepared) -> list[bytes]:
    """One digest per fibre point (id, operator, position)."""
    f = prep.fibre
    return [hashlib.blake2b(repr(r).encode(), digest_size=12).digest() for r in
            zip(f.fibre_id.tolist(), f.operator.tolist(), np.round(f.x, 2).tolist(),
                np.round(f.y, 2).tolist(), strict=True)]


def fingerprints(areas: Areas, sec: list[IntArray], fib: list[IntArray],
                 sector_dig: list[bytes], fibre_dig: list[bytes], cfg: bytes) -> list[str]:
    """Per area: hash of boundary, candidate sector rows, candidate fibre rows, settings."""
    out = []
    for i in range(len(areas.codes)):
        h = hashlib.blake2b(digest_size=16)
        h.update(cfg)
        h.update(areas.codes[i].encode())
        h.update(areas.names[i].encode())
        h.update(areas.wkb_digests[i])
        for j in np.sort(sec[i]).tolist():
            h.update(sector_dig[j])
        h.update(b"|fibre|")
        for j in np.sort(fib[i]).tolist():
            h.update(fibre_dig[j])
        out.append(h.hexdigest())
    return out


def inventory_version(prints: list[str]) -> str:
    """Version of a whole result set: hash of the per-area fingerprints."""
    return hashlib.blake2b("".join(prints).encode(), digest_size=10).hexdigest()


def _geom_out(g: shapely.Geometry) -> str:
    return base64.b64encode(shapely.to_wkb(g)).decode("ascii")


def _geom_in(s: str) -> shapely.Geometry:
    return shapely.from_wkb(base64.b64decode(s))


def to_json(r: CommuneCoverage) -> dict[str, Any]:
    """A result as plain JSON (geometries as base64 WKB, UTM)."""
    return {**r.stats(), "coverage": [[op, t, _geom_out(g)] for (op, t), g in r.coverage.items()],
            "gaps": {t: _geom_out(g) for t, g in r.gaps.items()},
            "fibre_reach": _geom_out(r.fibre_reach)}


def from_json(d: dict[str, Any]) -> CommuneCoverage:
    """Inverse of :func:`to_json`."""
    return CommuneCoverage(
        d["code"], d["name"], d["generation"], float(d["area_km2"]), d["by_operator"],
        d["by_technology"], float(d["fibre_reach_pct"]),
        {(op, t): _geom_in(g) for op, t, g in d["coverage"]},
        {t: _geom_in(g) for t, g in d["gaps"].items()}, _geom_in(d["fibre_reach"]))


@dataclass
class Cached:
    """One generation's cached results."""

    version: str
    computed_at: str
    entries: dict[str, tuple[str, CommuneCoverage]]  # code -> (fingerprint, result)


class CoverageCache:
    """JSON files under one directory, one per generation."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, generation: str) -> Path:
        return self.directory / f"coverage-{generation}.json"

    def load(self, generation: str) -> Cached | None:
        """The cached results, or None if absent or written by another format version."""
        path = self._path(generation)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise MapsError(f"unreadable coverage cache {path}: {exc}") from exc
        if doc.get("format") != FORMAT:
            return None
        return Cached(doc["version"], doc["computed_at"],
                      {code: (e["fingerprint"], from_json(e["result"]))
                       for code, e in doc["entries"].items()})

    def save(self, generation: str, cached: Cached) -> None:
        """Write atomically."""
        self.directory.mkdir(parents=True, exist_ok=True)
        doc = {"format": FORMAT, "version": cached.version, "computed_at": cached.computed_at,
               "entries": {code: {"fingerprint": fp, "result": to_json(r)}
                           for code, (fp, r) in cached.entries.items()}}
        path = self._path(generation)
        tmp = path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            raise MapsError(f"cannot write coverage cache {path}: {exc}") from exc
