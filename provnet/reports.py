"""Monthly reports frozen on disk: HTML and PDF (WeasyPrint) with their SHA-256.

Layout under ``<state_dir>/reports/monthly/<YYYY-MM>/<lang>/``: ``v1.html``, ``v1.pdf``, ...
and ``manifest.json`` listing every version with its hashes. Asking again returns the latest
frozen version (its hashes checked); ``reissue`` computes a new version and keeps the old ones.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from provnet.alerts import monthly


class ReportError(Exception):
    """A frozen report is missing or altered, or cannot be rendered."""


@dataclass(frozen=True)
class Issued:
    """One frozen version of a report."""

    version: int
    html: Path
    pdf: Path
    sha256_html: str
    sha256_pdf: str
    issued_at: float
    frozen: bool  # True: returned from the store, not computed now


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def html_to_pdf(html: str, out: Path) -> None:
    """Print HTML to a PDF file (``alerts/monthly.py`` ``html_to_pdf``)."""
    try:
        out.write_bytes(monthly.html_to_pdf(html))
    except ImportError as exc:  # pragma: no cover - a dependency
        raise ReportError("WeasyPrint is not installed (pip install weasyprint)") from exc


def issue_monthly(state_dir: Path, month: str, lang: str, reissue: bool,
                  render: Callable[[float, int], str]) -> Issued:
    """The frozen report of ``month`` in ``lang``; ``render(issued_at, version)`` -> HTML."""
    folder = state_dir / "reports" / "monthly" / month / lang
    manifest = folder / "manifest.json"
    versions: list[dict[str, object]] = []
    if manifest.exists():
        versions = json.loads(manifest.read_text(encoding="utf-8"))["versions"]
    if versions and not reissue:
        last = versions[-1]
        html, pdf = folder / str(last["html"]), folder / str(last["pdf"])
        for path, key in ((html, "sha256_html"), (pdf, "sha256_pdf")):
            if not path.exists() or _sha(path) != last[key]:
                raise ReportError(f"frozen report {path} is missing or was altered")
        return Issued(int(str(last["version"])), html, pdf, str(last["sha256_html"]),
                      str(last["sha256_pdf"]), float(str(last["issued_at"])), True)
    version = len(versions) + 1
    issued_at = time.time()
    folder.mkdir(parents=True, exist_ok=True)
    html, pdf = folder / f"v{version}.html", folder / f"v{version}.pdf"
    text = render(issued_at, version)
    html.write_text(text, encoding="utf-8")
    html_to_pdf(text, pdf)
    entry = {"version": version, "issued_at": issued_at, "html": html.name, "pdf": pdf.name,
             "sha256_html": _sha(html), "sha256_pdf": _sha(pdf)}
    versions.append(entry)
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps({"month": month, "lang": lang, "versions": versions}, indent=1),
                   encoding="utf-8")
    tmp.replace(manifest)
    return Issued(version, html, pdf, str(entry["sha256_html"]), str(entry["sha256_pdf"]),
                  issued_at, False)
