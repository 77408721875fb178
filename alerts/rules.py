"""Alert rules as data: a strict YAML schema, overrides per site/district/device/class.

A rule watches one metric of the observations (``link.up``, ``device.reachable``,
``if.util_pct``, ``optic.rx_dbm``, ...). It raises when the value crosses ``raise`` (in the
direction of ``op``) and clears only when it crosses back over ``clear`` (hysteresis).
``mode: slope`` compares the change per hour over ``slope_window`` instead of the value
("optical Rx power falling fast"). ``cause`` marks rules whose alerts are failed topology
elements (a down link, an unreachable device) for the root-cause analysis.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from provnet.alerts.errors import RulesError
from provnet.config.base import Strict

DEFAULT_RULES = Path(__file__).resolve().parents[1] / "config" / "alerts" / "default.yaml"
Severity = Literal["critical", "major", "minor", "warning", "info"]
MATCH_KEYS = ("site", "district", "commune", "device", "role")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: Any) -> float:
    """``30``, ``30s``, ``5m``, ``1h``, ``1d`` -> seconds (ValueError when bad or negative)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (m := re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*",
                                                       value)):
        seconds = float(m[1]) * _UNITS[m[2]]
    else:
        raise ValueError(f"bad duration {value!r} (expected seconds or 30s, 5m, 1h, 1d)")
    if seconds < 0:
        raise ValueError(f"bad duration {value!r}: negative")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


class _Strict(Strict):
    model_config = ConfigDict(populate_by_name=True)


class Flap(_Strict):
    """Flap detection: ``changes`` raw state changes within ``window`` -> held open."""

    changes: int = Field(default=4, ge=2)
    window: Duration = 600.0
    hold: Duration = 300.0


class Rule(_Strict):
    """One alert rule."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    metric: str = Field(min_length=1)
    op: Literal["above", "below"]
    raise_: float = Field(alias="raise")
    clear: float
    for_: Duration = Field(default=0.0, alias="for")
    clear_for: Duration = 0.0
    mode: Literal["value", "slope"] = "value"
    slope_window: Duration = Field(default=3600.0, gt=0)
    severity: Severity = "warning"
    labels: dict[str, str] = Field(default_factory=dict)
    summary: str = ""
    cause: Literal["link", "device"] | None = None
    enabled: bool = True
    flap: Flap = Flap()

    @model_validator(mode="after")
    def _hysteresis(self) -> Rule:
        bad = self.clear > self.raise_ if self.op == "above" else self.clear < self.raise_
        if bad:
            side = "at or below" if self.op == "above" else "at or above"
            raise ValueError(f"clear ({self.clear}) must be {side} raise ({self.raise_})")
        return self

    def breaches(self, value: float) -> bool:
        """The raise condition."""
        return value > self.raise_ if self.op == "above" else value < self.raise_

    def cleared(self, value: float) -> bool:
        """The clear condition (hysteresis: the value must cross ``clear``)."""
        return value <= self.clear if self.op == "above" else value >= self.clear


class Override(_Strict):
    """Changes to rules for matching entities; later overrides win over earlier ones."""

    match: dict[Literal["site", "district", "commune", "device", "role"], str]
    rules: list[str] = Field(default_factory=list, description="rule names; empty = all")
    set: dict[str, Any]

    @model_validator(mode="after")
    def _check(self) -> Override:
        if not self.match:
            raise ValueError("match must name at least one of " + ", ".join(MATCH_KEYS))
        forbidden = {"name", "metric"} & set(self.set)
        if forbidden:
            raise ValueError(f"set may not change {', '.join(sorted(forbidden))}")
        return self

    def applies(self, rule: str, labels: Mapping[str, str]) -> bool:
        """True when this override matches the rule and the entity's labels."""
        if self.rules and rule not in self.rules:
            return False
        return all(labels.get(k) == v for k, v in self.match.items())


class RulesFile(_Strict):
    """Top level of a rules YAML file."""

    rules: list[Rule]
    overrides: list[Override] = Field(default_factory=list)


@dataclass
class RuleSet:
    """Validated rules with override resolution (cached per rule and label set)."""

    rules: list[Rule]
    overrides: list[Override] = field(default_factory=list)
    source: str = "<memory>"
    _cache: dict[tuple[str, tuple[tuple[str, str], ...]], Rule] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [r.name for r in self.rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise RulesError(f"{self.source}: duplicate rule name(s): {', '.join(dupes)}")
        known = set(names)
        for i, o in enumerate(self.overrides):
            unknown = [r for r in o.rules if r not in known]
            if unknown:
                raise RulesError(f"{self.source}: overrides.{i}.rules: unknown rule(s) "
                                 f"{', '.join(unknown)}")
            for r in self.rules:
                if o.applies(r.name, {str(k): v for k, v in o.match.items()}):
                    self._apply(r, o, f"overrides.{i}.set")
        self.by_metric: dict[str, list[Rule]] = {}
        for r in self.rules:
            self.by_metric.setdefault(r.metric, []).append(r)
        self.by_name = {r.name: r for r in self.rules}

    def _apply(self, rule: Rule, o: Override, where: str) -> Rule:
        data = rule.model_dump(by_alias=True)
        data.update(o.set)
        try:
            return Rule.model_validate(data)
        except ValidationError as exc:
            raise RulesError(f"{self.source}: {where}: {_errors(exc)}") from exc

    def effective(self, rule: Rule, labels: Mapping[str, str]) -> Rule:
        """The rule after every override matching ``labels``."""
        key = (rule.name, tuple(sorted((k, labels[k]) for k in MATCH_KEYS if k in labels)))
        hit = self._cache.get(key)
        if hit is None:
            hit = rule
            for i, o in enumerate(self.overrides):
                if o.applies(rule.name, labels):
                    hit = self._apply(hit, o, f"overrides.{i}.set")
            self._cache[key] = hit
        return hit


def _errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors())


def parse_rules(data: Any, source: str = "<memory>") -> RuleSet:
    """Validate already-parsed YAML; RulesError names the source and the key."""
    try:
        parsed = RulesFile.model_validate(data)
    except ValidationError as exc:
        raise RulesError(f"{source}: {_errors(exc)}") from exc
    return RuleSet(parsed.rules, parsed.overrides, source)


def load_rules(path: Path | None = None) -> RuleSet:
    """Load and validate a rules file (the shipped defaults when ``path`` is None)."""
    path = path or DEFAULT_RULES
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"cannot read rules file {path}: {exc}") from exc
    return parse_rules(data, str(path))
