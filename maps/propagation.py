"""Radio propagation for the flat Mekong delta: path loss and the range it allows.

Models (``f`` in MHz, antenna heights ``hb`` (base) and ``hm`` (UE) in metres, ``d`` in km):

* **Okumura-Hata** (Hata 1980, IEEE Trans. VT-29), 150-1500 MHz, used for 700/800/900 MHz:
  ``L_u = 69.55 + 26.16 log f - 13.82 log hb - a(hm) + (44.9 - 6.55 log hb) log d``
* **COST-231 Hata** (COST Action 231 final report, 1999, ch. 4.4), 1500-2000 MHz, applied
  up to 2600 MHz (1800/2100/2600 bands) as is usual in planning tools:
  ``L_u = 46.3 + 33.9 log f - 13.82 log hb - a(hm) + (44.9 - 6.55 log hb) log d + C_m``,
  ``C_m = 0`` dB (medium city / suburban centre).
* **3.5 GHz variant** (above 2600 MHz): COST-231 Hata evaluated at the 2000 MHz reference
  plus the frequency correction term ``X_f = 6.0 log(f / 2000)`` of the SUI / Erceg model
  (Erceg et al., IEEE JSAC 17(7), 1999; IEEE 802.16.3c-01/29r4, "Channel models for fixed
  wireless applications", section 2.3). It is a documented extrapolation, not a fit to
  measurements in An Giang, and it is discontinuous with plain COST-231 at 2600 MHz.

``a(hm) = (1.1 log f - 0.7) hm - (1.56 log f - 0.8)`` (small/medium city) in every model.
Environment corrections (Hata 1980), applied to the model's urban loss with the model's own
``f`` (the 2000 MHz reference for the 3.5 GHz variant):

* ``suburban``: ``- 2 (log(f / 28))^2 - 5.4``
* ``rural`` (open area, the paddy fields): ``- 4.78 (log f)^2 + 18.33 log f - 40.94``

The range follows in closed form: ``log d = (L_max - L(1 km)) / (44.9 - 6.55 log hb)`` with
``L_max = EIRP - threshold - reference_offset`` (``reference_offset`` turns total transmit
power into the per-resource-element or pilot power a signal threshold such as RSRP refers
to). Everything is vectorised over numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from provnet.maps.errors import MapsError

Environment = Literal["suburban", "rural"]
FloatArray = npt.NDArray[np.float64]
ArrayLike = float | FloatArray | npt.ArrayLike

OKUMURA_MAX_MHZ = 1500.0
COST231_MAX_MHZ = 2600.0
SUI_REF_MHZ = 2000.0
MIN_MHZ = 150.0
MAX_MHZ = 6000.0


def _arr(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def ue_height_correction(f_mhz: ArrayLike, hm_m: ArrayLike) -> FloatArray:
    """``a(hm)`` for a small/medium city, in dB."""
    lf = np.log10(_arr(f_mhz))
    return (1.1 * lf - 0.7) * _arr(hm_m) - (1.56 * lf - 0.8)


def environment_correction(f_mhz: ArrayLike, environment: Environment) -> FloatArray:
    """dB to add to the urban loss for suburban or open rural terrain (always <= 0 here)."""
    f = _arr(f_mhz)
    if environment == "suburban":
        return -2.0 * np.log10(f / 28.0) ** 2 - 5.4
    if environment == "rural":
        lf = np.log10(f)
        return -4.78 * lf**2 + 18.33 * lf - 40.94
    raise MapsError(f"unknown environment {environment!r} (suburban or rural)")


def _check_band(f: FloatArray) -> None:
    if f.size and (np.nanmin(f) < MIN_MHZ or np.nanmax(f) > MAX_MHZ):
        raise MapsError(f"frequency outside {MIN_MHZ:.0f}-{MAX_MHZ:.0f} MHz: "
                        f"{np.nanmin(f):.0f}-{np.nanmax(f):.0f}")


def _model_terms(f: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per element: (model constant, extra dB, frequency used by the corrections)."""
    okumura = f <= OKUMURA_MAX_MHZ
    sui = f > COST231_MAX_MHZ
    f_eff = np.where(sui, SUI_REF_MHZ, f)
    lf = np.log10(f_eff)
    const = np.where(okumura, 69.55 + 26.16 * lf, 46.3 + 33.9 * lf)
    extra = np.where(sui, 6.0 * np.log10(np.where(sui, f, SUI_REF_MHZ) / SUI_REF_MHZ), 0.0)
    return const, extra, f_eff


def path_loss_1km(f_mhz: ArrayLike, hb_m: ArrayLike, hm_m: ArrayLike,
                  environment: Environment = "suburban") -> FloatArray:
    """Median path loss at 1 km (dB): the intercept of the log-distance line."""
    f = _arr(f_mhz)
    _check_band(f)
    hb = _arr(hb_m)
    if hb.size and np.nanmin(hb) <= 0:
        raise MapsError("antenna height must be positive")
    const, extra, f_eff = _model_terms(f)
    urban = const - 13.82 * np.log10(hb) - ue_height_correction(f_eff, hm_m) + extra
    return np.asarray(urban + environment_correction(f_eff, environment), dtype=np.float64)


def distance_slope(hb_m: ArrayLike) -> FloatArray:
    """dB per decade of distance: ``44.9 - 6.55 log hb``."""
    return 44.9 - 6.55 * np.log10(_arr(hb_m))


def path_loss(d_km: ArrayLike, f_mhz: ArrayLike, hb_m: ArrayLike, hm_m: ArrayLike,
              environment: Environment = "suburban") -> FloatArray:
    """Median path loss (dB) at distance ``d_km``."""
    d = _arr(d_km)
    if d.size and np.nanmin(d) <= 0:
        raise MapsError("distance must be positive")
    return np.asarray(path_loss_1km(f_mhz, hb_m, hm_m, environment)
                      + distance_slope(hb_m) * np.log10(d), dtype=np.float64)


def max_range_km(max_loss_db: ArrayLike, f_mhz: ArrayLike, hb_m: ArrayLike, hm_m: ArrayLike,
                 environment: Environment = "suburban") -> FloatArray:
    """Distance (km) at which the path loss reaches ``max_loss_db`` (inverse of path_loss)."""
    exponent = (_arr(max_loss_db) - path_loss_1km(f_mhz, hb_m, hm_m, environment)) \
        / distance_slope(hb_m)
    return np.asarray(10.0 ** exponent, dtype=np.float64)


@dataclass(frozen=True)
class LinkBudget:
    """What turns a transmitter's power into a usable range."""

    threshold_dbm: float  # e.g. RSRP -110 dBm for 4G
    reference_offset_db: float = 0.0  # total power -> per-RE/pilot power the threshold means
    antenna_gain_dbi: float = 17.0
    losses_db: float = 3.0  # feeder, connectors, body loss
    ue_height_m: float = 1.5
    environment: Environment = "suburban"
    min_range_m: float = 100.0
    max_range_m: float = 30_000.0


def sector_range_m(budget: LinkBudget, power_dbm: ArrayLike, f_mhz: ArrayLike,
                   height_m: ArrayLike, explicit_range_m: ArrayLike | None = None) -> FloatArray:
    """Range (m) per sector; an explicit (finite, positive) inventory range wins."""
    eirp = _arr(power_dbm) + budget.antenna_gain_dbi - budget.losses_db
    max_loss = eirp - budget.reference_offset_db - budget.threshold_dbm
    d_m = 1000.0 * max_range_km(max_loss, f_mhz, height_m, budget.ue_height_m,
                                budget.environment)
    d_m = np.clip(d_m, budget.min_range_m, budget.max_range_m)
    if explicit_range_m is not None:
        given = _arr(explicit_range_m)
        d_m = np.where(np.isfinite(given) & (given > 0), given, d_m)
    return np.asarray(d_m, dtype=np.float64)
