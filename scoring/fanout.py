"""Which keys a batch's country-wide evidence may have changed, found with array masks.

A country-wide licence decision or a news row changes no key row by itself (it lands in
a shared cell), yet it moves the score of every key that matches the cell. The engine
reports those keys as changed so the edge can re-publish their scores: a mask over all
keys built from a small (material x destination) table and a company table, with no
loop over keys. The actor is not checked, so the set is a superset of the keys whose
score moved (a key that sources nothing from the actor is included).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from scoring.state import (
    ANY_COMPANY,
    ANY_COUNTRY,
    ANY_MATERIAL,
    NO_COUNTRY,
    State,
    destinations,
    key_codes,
)

__all__ = ["exposed_keys"]


def exposed_keys(
    state: State,
    licence_cells: tuple[NDArray[np.integer], NDArray[np.integer]],
    policy_cells: tuple[
        NDArray[np.integer], NDArray[np.integer], NDArray[np.integer], NDArray[np.integer]
    ],
) -> NDArray[np.bool_] | None:
    """Mask of the keys matching licence cells ``(destination, material)`` or policy cells
    ``(actor, material, target, company)`` (wildcards allowed); None when there are none."""
    lic_destination, lic_material = licence_cells
    _, material, target, company = policy_cells
    n = len(state.keys)
    if n == 0 or len(lic_material) + len(material) == 0:
        return None
    pair = np.zeros((ANY_MATERIAL + 1, NO_COUNTRY + 1), dtype=np.bool_)
    pair[lic_material, lic_destination] = True
    by_target = company == ANY_COMPANY
    m, t = material[by_target], target[by_target]
    every_m, every_t = m == ANY_MATERIAL, t == ANY_COUNTRY
    pair[:, t[every_m & ~every_t]] = True
    pair[m[~every_m & every_t], :] = True
    pair[m[~every_m & ~every_t], t[~every_m & ~every_t]] = True
    keys = state.keys
    if (every_m & every_t).any():
        mask = np.ones(n, dtype=np.bool_)
    elif pair.any():
        # One flat gather per key: indexing the 2D table with two arrays took 6x longer.
        at = keys["material"] * np.int32(NO_COUNTRY + 1) + destinations(
            keys["home"], keys["destination"]
        )
        mask = pair.ravel().take(at)
    else:
        mask = np.zeros(n, dtype=np.bool_)
    # Company rows (overlap cells name both a target and a company: covered here too).
    by_company = ~by_target
    m, c = material[by_company], company[by_company]
    named = state.key_index.find(key_codes(c[m != ANY_MATERIAL], m[m != ANY_MATERIAL]))
    mask[named[named >= 0]] = True
    if (m == ANY_MATERIAL).any():
        firms = np.zeros(len(state.company_names), dtype=np.bool_)
        firms[c[m == ANY_MATERIAL]] = True
        mask |= firms[keys["company"]]
    return mask
