"""Where the map pages' templates and static files live, and the operators' colours."""

from __future__ import annotations

from pathlib import Path

WEB_DIR = Path(__file__).parent / "web"
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
LEAFLET_JS = STATIC_DIR / "vendor" / "leaflet" / "leaflet.js"
OPERATOR_COLOURS = {"Viettel": "#00897b", "VinaPhone": "#1f6fd1", "MobiFone": "#8e44ad",
                    "Vietnamobile": "#e67e22", "Gmobile": "#7f8c8d"}
