"""Comparison policies for best-of-n (MATH §8).

Every policy here is a pmf over the reference's outcomes that gives all
outcomes of a reward level the same ratio ``policy / pi``. Its KL, win rate
and expected reward are therefore exact sums over the merged levels, and
:func:`bonkl_fast.kl_divergence` / :func:`bonkl_fast.win_rate_vs_reference`
applied to the returned pmf agree with them.

:func:`tilt_for_kl` (from :mod:`bonkl_fast._tilt_solve`) and :func:`frontier` /
:class:`Frontier` (from :mod:`bonkl_fast._frontier`; a module named ``frontier``
would shadow the function ``bonkl_fast.frontier``) are re-exported here.
"""

from __future__ import annotations

import math

import numpy as np

from . import _kernels_policies as kern
from ._frontier import Frontier, frontier
from ._levels import prepare_levels
from ._policy_levels import _as_scalar, _expand, _scaled_rewards, _Tilt, _times_power_of_two
from ._tilt_solve import tilt_for_kl
from ._validate import as_n
from .exact import bon_pmf

__all__ = [
    "rewind_and_repeat",
    "win_rate_tilt",
    "reward_tilt",
    "tilt_for_kl",
    "soft_best_of_n",
    "frontier",
    "Frontier",
]


# ---------------------------------------------------------------- rewind-and-repeat


def _as_alpha(alpha) -> float:
    value = _as_scalar(alpha, "alpha")
    if not 0.0 < value <= 1.0:
        raise ValueError(
            f"alpha is the acceptance probability and must be in (0, 1], got {value:g}; "
            "alpha = 1/n costs as many draws on average as best-of-n"
        )
    return value


def rewind_and_repeat(
    probs, rewards, alpha, *, normalize: bool = False, assume_sorted: bool = False
):
    """Rewind-and-repeat (rejection sampling) with acceptance probability ``alpha``.

    Draw from the reference until the reward clears the ``1 - alpha`` quantile;
    the boundary level is accepted with the probability that makes the total
    acceptance exactly ``alpha`` (all its tied outcomes alike).

    Parameters
    ----------
    probs, rewards : array_like, shape (K,)
        The reference distribution (see :func:`bonkl_fast.bon_pmf`).
    alpha : float
        Acceptance probability in (0, 1]; expected number of draws ``1 / alpha``.
    normalize, assume_sorted : bool
        As in :func:`bonkl_fast.bon_pmf`.

    Returns
    -------
    ndarray, shape (K,)
        ``pi(y) a(y) / alpha``, ``a(y)`` the acceptance probability of ``y``.

    Raises
    ------
    ValueError, TypeError
        For invalid input or ``alpha`` outside (0, 1].

    Notes
    -----
    On continuous rewards ``KL = log(1/alpha)`` and ``W = 1 - alpha/2``
    (MATH §8); for discrete ones KL is at most ``log(1/alpha)``. Cost O(K log K).

    Examples
    --------
    >>> rewind_and_repeat([0.25, 0.25, 0.5], [0.0, 1.0, 2.0], 0.6)
    array([0.        , 0.16666667, 0.83333333])
    """
    a = _as_alpha(alpha)
    levels = prepare_levels(probs, rewards, normalize=normalize, assume_sorted=assume_sorted)
    if a >= 1.0:
        return levels.probs.copy()
    size = levels.mass.shape[0]
    b = size - int(np.searchsorted(levels.tail[::-1], a, side="left"))  # boundary level
    level_mass = np.zeros(size)
    level_mass[b + 1 :] = levels.mass[b + 1 :] / a  # levels above b: S_b < a, no overflow
    level_mass[b] = (a - levels.tail[b]) / a
    return _expand(levels, level_mass)


# ------------------------------------------------------------------------ tilts


def _as_beta(beta) -> float:
    value = _as_scalar(beta, "beta")
    if value < 0:
        raise ValueError(f"beta is the tilt strength and must be >= 0, got {value:g}")
    return value


def _tilt_pmf(probs, rewards, beta, kind, normalize, assume_sorted):
    b = _as_beta(beta)
    levels = prepare_levels(  # the reward tilt uses the reward values, not only their order
        probs,
        rewards,
        normalize=normalize,
        assume_sorted=assume_sorted,
        order_only=kind != "reward",
    )
    tilt = _Tilt.build(levels, kind)
    return _expand(levels, tilt.level_mass(tilt.gamma_of(b)))


def win_rate_tilt(probs, rewards, beta, *, normalize: bool = False, assume_sorted: bool = False):
    """Win-rate tilt ``pi_beta(y) ∝ p_y exp(beta * v_y)``, the KL-regularized optimum for win rate.

    ``v_y = P(R < r_y) + P(R = r_y) / 2`` is the win probability of ``y``
    against the reference (MATH §8). Sweeping beta traces the best win rate
    achievable at each KL.

    Parameters
    ----------
    probs, rewards : array_like, shape (K,)
        The reference distribution.
    beta : float
        Tilt strength, >= 0 (0 gives the reference). Any finite value is safe:
        weights are normalised by log-sum-exp.
    normalize, assume_sorted : bool
        As in :func:`bonkl_fast.bon_pmf`.

    Returns
    -------
    ndarray, shape (K,)

    Raises
    ------
    ValueError, TypeError
        For invalid input or a negative or non-finite ``beta``.

    Notes
    -----
    Continuous limit: ``W(c) = 1/(1 - e^-c) - 1/c`` and
    ``KL(c) = log(c / (e^c - 1)) + c W(c)``. Cost O(K log K).

    Examples
    --------
    >>> win_rate_tilt([0.5, 0.5], [0.0, 1.0], 2.0).round(6)
    array([0.268941, 0.731059])
    >>> win_rate_tilt([0.5, 0.5], [0.0, 1.0], 1e6)
    array([0., 1.])
    """
    return _tilt_pmf(probs, rewards, beta, "win_rate", normalize, assume_sorted)


def reward_tilt(probs, rewards, beta, *, normalize: bool = False, assume_sorted: bool = False):
    """Reward tilt ``pi_beta(y) ∝ p_y exp(beta * r_y)``, the KL-regularized RL optimum.

    Maximises expected reward at each KL (MATH §8). Arguments as in
    :func:`win_rate_tilt`; rewards are shifted by their maximum before
    exponentiating, so large ``beta * r`` never overflows, and scaled by a power
    of two before subtracting, so any finite rewards work (even when
    ``max r - min r`` exceeds float64). The reward values matter here, not only
    their order: rewards that float64 cannot tell apart (int64 above 2**53,
    longdouble) raise a ``ValueError``.

    Examples
    --------
    >>> reward_tilt([0.5, 0.5], [0.0, 1.0], math.log(3.0)).round(12)
    array([0.25, 0.75])
    >>> reward_tilt([0.25, 0.25, 0.5], [1e308, -1e308, 0.0], 1e-308).round(6)
    array([0.534447, 0.072329, 0.393224])
    """
    return _tilt_pmf(probs, rewards, beta, "reward", normalize, assume_sorted)


# ------------------------------------------------------------------ soft best-of-n

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
    lam = _as_scalar(temperature, "temperature")
    if not lam > 0:
        raise ValueError(f"temperature must be > 0, got {lam:g}; use bon_pmf for the hard maximum")
    flat, _, is_scalar = as_n(n)
    if not is_scalar:
        raise TypeError("soft_best_of_n takes a single n; loop over n")
    n_value = float(flat[0])
    levels = prepare_levels(
        probs, rewards, normalize=normalize, assume_sorted=assume_sorted, order_only=False
    )
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
