"""Soft best-of-n: n draws, one kept with probability softmax(reward / temperature) (MATH §8).

Re-exported by :mod:`bonkl_fast.policies`.
"""

from __future__ import annotations

import math

import numpy as np

from .._levels import Levels, prepare_levels
from .._validate import as_n
from ..exact import bon_pmf
from . import _kernels_best_of_n as kern
from ._levels import _as_scalar, _expand, _scaled_rewards, _times_power_of_two

__all__ = ["soft_best_of_n"]

_GAUSS_NODES, _GAUSS_WEIGHTS = np.polynomial.legendre.leggauss(16)
_PANEL = 0.5  # panel width in s = log t, 16 Gauss-Legendre nodes (1.0 agrees to 1e-15)
_HARD_GAP = 800.0  # reward gaps above 800 * temperature: soft == hard to float64
_MAX_SPREAD = 1e6  # (max - min) / temperature: nodes s ~ 1e6 carry 2e-10 absolute rounding


def _soft_quadrature(log_e: np.ndarray, n: float):
    """Nodes and weights in s = log t over the union of the levels' windows.

    Level l contributes only for s in [-log e_l - 45 - log n, -log e_l + 6.62]:
    left of it its integrand is below n q e^(s + log e_l) (integral < q e^-45),
    right of it x e^-x is 0 in float64.
    """
    left = np.sort(-log_e - 45.0 - math.log(n))
    right = np.sort(-log_e + 6.62)
    starts, ends = [left[0]], [right[0]]
    for lo, hi in zip(left[1:], right[1:], strict=True):
        if lo <= ends[-1]:
            ends[-1] = max(ends[-1], hi)
        else:
            starts.append(lo)
            ends.append(hi)
    nodes, weights = [], []
    for lo, hi in zip(starts, ends, strict=True):
        panels = max(1, math.ceil((hi - lo) / _PANEL))
        edges = np.linspace(lo, hi, panels + 1)
        half = 0.5 * np.diff(edges)
        mid = 0.5 * (edges[1:] + edges[:-1])
        nodes.append((mid[:, None] + half[:, None] * _GAUSS_NODES).ravel())
        weights.append((half[:, None] * _GAUSS_WEIGHTS).ravel())
    return np.concatenate(nodes), np.concatenate(weights)  # x e^-x ds = e_l e^(-t e_l) t ds


def soft_best_of_n(
    probs, rewards, n, temperature, *, normalize: bool = False, assume_sorted: bool = False
) -> np.ndarray:
    """Soft best-of-n: draw n, return draw i with probability softmax(r / temperature)_i.

    Parameters
    ----------
    probs, rewards : array_like, shape (K,)
        The reference distribution.
    n : float
        Number of draws, >= 1. Integer n is the literal procedure; the formula
        below also defines the policy for real n (it sums to 1 for any n >= 1).
    temperature : float
        Softmax temperature ``lambda > 0``; ``lambda -> 0`` gives best-of-n,
        ``n -> inf`` gives the reward tilt with ``beta = 1 / lambda``.
    normalize, assume_sorted : bool
        As in :func:`bonkl_fast.bon_pmf`.

    Returns
    -------
    ndarray, shape (K,)
        ``p_y e_y n ∫_0^∞ exp(-t e_y) M(t)^(n-1) dt`` with
        ``e_y = exp((r_y - r_max) / lambda)`` (scaling e by a constant leaves the
        pmf unchanged, and this one cannot overflow) and
        ``M(t) = sum_z p_z exp(-t e_z)``.

    Raises
    ------
    ValueError, TypeError
        For invalid input, ``n < 1``, a temperature that is not a positive
        finite number, or one below ``(max r - min r) / 1e6`` when some rewards
        are closer than 800 temperatures (the quadrature would lose accuracy;
        when every gap exceeds 800 temperatures the result is best-of-n), or
        rewards that float64 cannot tell apart (int64 above 2**53, longdouble).

    Notes
    -----
    The integral is taken in ``s = log t`` with 16-point Gauss-Legendre panels
    of width 1/2 over the union of the levels' windows (gaps between widely
    separated rewards are skipped); ``1 - M`` is summed with ``expm1`` so
    ``M^(n-1)`` stays accurate at large n. Agreement with exhaustive
    enumeration and with mpmath quadrature to 1e-10 relative (observed
    ~1e-15 absolute; panels twice as wide change results by < 1e-15 for n up
    to 1e15). When every gap between distinct rewards exceeds
    ``800 * temperature`` the result is :func:`bonkl_fast.bon_pmf` (the
    softmax of a non-maximal draw is below e^-800). At each node only levels
    with ``e^-40 <= t e_l <= e^6.62`` are visited (the others enter through
    prefix sums), so the cost is O(nodes * window + L) with about 32 nodes per
    unit of ``log t``: linear in L when rewards are spread over many
    temperatures, O(L * 2000) when all rewards lie within a few temperatures.

    Examples
    --------
    >>> soft_best_of_n([0.5, 0.5], [0.0, 1.0], 2, 1.0).round(6)
    array([0.384471, 0.615529])
    >>> soft_best_of_n([0.5, 0.5], [0.0, 1.0], 2, 1e-3)
    array([0.25, 0.75])
    """
    n_value, lam = soft_parameters(n, temperature)
    levels = prepare_levels(
        probs, rewards, normalize=normalize, assume_sorted=assume_sorted, order_only=False
    )
    return soft_pmf(levels, n_value, lam)


def soft_parameters(n, temperature) -> tuple[float, float]:
    """``(n, temperature)`` as floats: one n >= 1 and a positive finite temperature."""
    lam = _as_scalar(temperature, "temperature")
    if not lam > 0:
        raise ValueError(f"temperature must be > 0, got {lam:g}; use bon_pmf for the hard maximum")
    flat, _, is_scalar = as_n(n)
    if not is_scalar:
        raise TypeError("soft_best_of_n takes a single n; loop over n")
    return float(flat[0]), lam


def soft_pmf(levels: Levels, n_value: float, lam: float) -> np.ndarray:
    """:func:`soft_best_of_n` on validated levels with the reward values, checked
    ``n_value`` and temperature ``lam`` (:func:`soft_parameters`)."""
    if n_value == 1.0 or levels.mass.shape[0] == 1:
        return levels.probs.copy()
    reward, exponent = _scaled_rewards(levels)  # differences never overflow
    with np.errstate(over="ignore"):  # a gap of inf temperatures is a hard gap
        gaps = _times_power_of_two(np.diff(reward) / lam, exponent)
        log_e = _times_power_of_two((reward - reward[-1]) / lam, exponent)
    if gaps.min() > _HARD_GAP:
        return bon_pmf(levels.probs, levels.rewards, n_value)
    if not log_e[0] >= -_MAX_SPREAD:
        raise ValueError(
            f"temperature {lam:g} is too small for the reward range: (max - min) / "
            f"temperature = {-log_e[0]:.3g} exceeds {_MAX_SPREAD:g} (where the quadrature "
            "in log t loses accuracy) while some rewards lie within 800 temperatures of "
            "each other; pass a larger temperature"
        )
    nodes, weights = _soft_quadrature(log_e, n_value)
    level_mass = kern.soft_bon_level_masses(log_e, levels.mass, n_value, nodes, weights)
    return _expand(levels, level_mass)
