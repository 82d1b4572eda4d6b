"""The EU criticality method's supply-risk formula, vectorised.

EU CRM methodology (2017, unchanged in the 2020 and 2023 assessments):
``HHI_WGI = sum_c s_c**2 * WGI_c`` over the countries' shares ``s_c`` (fractions) with the
World Governance Indicator rescaled to 0 (best) .. 10 (worst); the "GSonly" supply risk is
``SR = HHI_WGI * (1 - EoL_RIR) * SI_SR``. The same function gives the static check against
the published 2023 figures and the live concentration of each key's own sourcing.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["criticality_prior", "hhi_wgi", "supply_risk"]


def hhi_wgi(
    group: NDArray[np.intp],
    share: NDArray[np.float64],
    wgi: NDArray[np.float64],
    n_groups: int,
) -> NDArray[np.float64]:
    """Governance-weighted Herfindahl index per group: ``sum(share**2 * wgi)``.

    Parameters
    ----------
    group
        Group (e.g. key row) of each (group, country) share row.
    share
        Share of the country in the group's supply, a fraction.
    wgi
        The country's WGI on the EU 0..10 scale.
    n_groups
        Number of groups; groups without rows get 0.

    Examples
    --------
    >>> hhi_wgi(np.array([0, 1, 1]), np.array([1.0, 0.5, 0.5]), np.array([5.72, 2.0, 4.0]), 2)
    array([5.72, 1.5 ])
    """
    out = np.bincount(group, weights=share * share * wgi, minlength=n_groups)
    return np.asarray(out, dtype=np.float64)


def supply_risk(
    hhi: NDArray[np.float64], eol_rir: NDArray[np.float64], si_sr: NDArray[np.float64]
) -> NDArray[np.float64]:
    """EU "GSonly" supply risk: ``HHI_WGI * (1 - EoL_RIR) * SI_SR``.

    Examples
    --------
    Dysprosium and gadolinium, China 100 % at WGI 5.72 (published 2023 SR: 5.6 and 3.3):

    >>> sr = supply_risk(np.array([5.72, 5.72]), np.array([0.01, 0.01]), np.array([0.99, 0.59]))
    >>> np.round(sr, 2).tolist()
    [5.61, 3.34]
    """
    return np.asarray(hhi * (1.0 - eol_rir) * si_sr, dtype=np.float64)


def criticality_prior(
    supply_risk_published: NDArray[np.float64],
    economic_importance: NDArray[np.float64],
    scale: float,
) -> NDArray[np.float64]:
    """Static criticality in [0, 1]: geometric mean of the scaled EU SR and EI.

    Both axes of the EU criticality assessment matter: a material is critical when it is
    both risky to supply and important to the economy, so a low value on either keeps the
    prior low.

    Examples
    --------
    >>> np.round(criticality_prior(np.array([5.6, 1.8]), np.array([7.8, 3.4]), 10.0), 3)
    array([0.661, 0.247])
    """
    sr = np.clip(supply_risk_published / scale, 0.0, 1.0)
    ei = np.clip(economic_importance / scale, 0.0, 1.0)
    return np.asarray(np.sqrt(sr * ei), dtype=np.float64)
