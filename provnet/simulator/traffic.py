"""Traffic shapes with closed-form integrals, and monotonic counters built on them.

A rate is ``mean * (1 + sum(a_k * sin(w_k * u + p_k)))``: one daily wave plus a few short
incommensurate waves that look like noise on a graph. Because the integral is closed-form,
a counter is computed from elapsed time on demand (no timers), and it is piecewise: every
state change (oper down, rate change, reboot) folds the running integral into ``base``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

TWO_PI = 2.0 * math.pi


@dataclass(frozen=True, slots=True)
class Wave:
    """One sinusoid of a rate profile: relative amplitude, angular speed (rad/s), phase."""

    amplitude: float
    omega: float
    phase: float


@dataclass(frozen=True, slots=True)
class RateProfile:
    """Rate ``mean * (1 + sum of waves)`` per second of model time ``u``."""

    mean: float
    waves: tuple[Wave, ...] = ()

    def rate(self, u: float) -> float:
        """Instantaneous rate at ``u``."""
        return self.mean * (1.0 + sum(w.amplitude * math.sin(w.omega * u + w.phase)
                                      for w in self.waves))

    def integral(self, u: float) -> float:
        """An antiderivative of :meth:`rate` (only differences are meaningful)."""
        total = u
        for w in self.waves:
            total -= w.amplitude / w.omega * math.cos(w.omega * u + w.phase)
        return self.mean * total

    @property
    def peak(self) -> float:
        """Upper bound of the rate."""
        return self.mean * (1.0 + sum(w.amplitude for w in self.waves))


def traffic_profile(mean: float, ceiling: float, rng: random.Random, *, day_s: float,
                    wall_at_zero: float, daily: float, noise: float) -> RateProfile:
    """A lively profile around ``mean`` that never exceeds ``ceiling`` (same unit).

    The daily wave peaks around 10:00 Indochina time (UTC+7) +- 1 h when ``day_s`` is a
    real day; ``wall_at_zero`` is the Unix time at model time 0. Near the ceiling the waves
    shrink so the mean is kept; a mean at or above the ceiling becomes a flat ceiling.
    """
    mean = max(0.0, mean)
    if mean <= 0.0:
        return RateProfile(0.0)
    if mean >= ceiling:
        return RateProfile(ceiling)
    omega = TWO_PI / day_s
    peak_s = (3.0 + rng.uniform(-1.0, 1.0)) * 3600.0 * day_s / 86400.0
    waves = [Wave(daily, omega, _phase(omega, peak_s, wall_at_zero))]
    split = [rng.uniform(0.5, 1.5) for _ in range(3)]
    for share in split:
        period = rng.uniform(40.0, 900.0)
        waves.append(Wave(noise * share / sum(split), TWO_PI / period,
                          rng.uniform(0.0, TWO_PI)))
    total = sum(w.amplitude for w in waves)
    room = ceiling / mean - 1.0
    if total > room:
        scale = room / total
        waves = [Wave(w.amplitude * scale, w.omega, w.phase) for w in waves]
    return RateProfile(mean, tuple(w for w in waves if w.amplitude > 0.0))


def _phase(omega: float, peak_wall_s: float, wall_at_zero: float) -> float:
    """Phase so that ``sin(omega * u + phase)`` peaks at wall time ``peak_wall_s`` (mod day)."""
    return (math.pi / 2.0 - omega * peak_wall_s + omega * wall_at_zero) % TWO_PI


class Channel:
    """A counter that integrates a profile while running and freezes while stopped.

    Values are floats of whole counts since the last reset; callers wrap to 32/64 bits.
    A high-water mark guards against float rounding making a read go backwards.
    """

    __slots__ = ("_hi", "_start_int", "base", "profile", "running")

    def __init__(self, profile: RateProfile, base: float = 0.0) -> None:
        self.profile = profile
        self.base = base
        self.running = False
        self._start_int = 0.0
        self._hi = 0

    def value(self, u: float) -> int:
        """Count at model time ``u`` (never less than a previous read)."""
        v = self.base
        if self.running:
            v += self.profile.integral(u) - self._start_int
        n = int(v)
        if n < self._hi:
            return self._hi
        self._hi = n
        return n

    def start(self, u: float) -> None:
        """Begin counting from ``u``."""
        if not self.running:
            self.running = True
            self._start_int = self.profile.integral(u)

    def stop(self, u: float) -> None:
        """Freeze the count at ``u``."""
        if self.running:
            v = self.base + self.profile.integral(u) - self._start_int
            self.base = max(v, float(self._hi))
            self.running = False

    def set_profile(self, profile: RateProfile, u: float) -> None:
        """Change the rate from ``u`` on without a jump in the count."""
        running = self.running
        self.stop(u)
        self.profile = profile
        if running:
            self.start(u)

    def reset(self, u: float) -> None:
        """Restart from zero at ``u`` (device reboot)."""
        running = self.running
        self.running = False
        self.base = 0.0
        self._hi = 0
        if running:
            self.start(u)
