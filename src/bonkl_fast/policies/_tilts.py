"""The win-rate and reward tilts, and the tilt strength that reaches a KL (MATH §8).

:func:`win_rate_tilt` and :func:`reward_tilt` return the tilted pmf for a given
beta; :func:`tilt_for_kl` solves for the beta reaching a target KL with the
vectorised solver of :mod:`bonkl_fast.policies._tilt_solve`. Both tilts are
described per level by :class:`bonkl_fast.policies._levels._Tilt`.
"""

from __future__ import annotations

import math

import numpy as np

from .._levels import Levels, prepare_levels
from ._levels import _as_scalar, _expand, _Tilt, _times_power_of_two
from ._tilt_solve import _solve_gammas

__all__ = ["win_rate_tilt", "reward_tilt", "tilt_for_kl"]


def _as_beta(beta) -> float:
    value = _as_scalar(beta, "beta")
    if value < 0:
        raise ValueError(f"beta is the tilt strength and must be >= 0, got {value:g}")
    return value


def _tilt_levels(probs, rewards, kind, normalize, assume_sorted):
    """The reference's levels; the reward tilt uses the reward values, not only their order."""
    return prepare_levels(
        probs,
        rewards,
        normalize=normalize,
        assume_sorted=assume_sorted,
        order_only=kind != "reward",
    )


def _tilt_pmf(probs, rewards, beta, kind, normalize, assume_sorted):
    b = _as_beta(beta)
    levels = _tilt_levels(probs, rewards, kind, normalize, assume_sorted)
    return tilt_pmf(levels, b, kind)


def tilt_pmf(levels: Levels, beta: float, kind: str) -> np.ndarray:
    """The tilt's pmf (caller's order) on validated levels (reward values for the reward
    tilt) and a checked ``beta``."""
    return _expand(levels, _Tilt.build(levels, kind).level_mass(beta))


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


def _as_kind(kind) -> str:
    if kind not in ("win_rate", "reward"):
        raise ValueError(f'kind must be "win_rate" or "reward", got {kind!r}')
    return kind


def tilt_for_kl(
    probs,
    rewards,
    kl,
    *,
    kind: str = "win_rate",
    normalize: bool = False,
    assume_sorted: bool = False,
) -> float:
    """The beta whose tilt (``kind``) has ``KL(pi_beta || pi) == kl``.

    Parameters
    ----------
    probs, rewards : array_like, shape (K,)
        The reference distribution.
    kl : float
        Target KL in nats, in ``[0, log(1 / p_top))``.
    kind : {"win_rate", "reward"}
        Which tilt: :func:`bonkl_fast.policies.win_rate_tilt` or
        :func:`bonkl_fast.policies.reward_tilt`.
    normalize, assume_sorted : bool
        As in :func:`bonkl_fast.bon_pmf`.

    Returns
    -------
    float
        ``beta >= 0``; its tilt's KL equals ``kl`` to 1e-12 relative.

    Raises
    ------
    ValueError
        If ``kl`` is negative, not finite, or at least ``log(1 / p_top)``
        (the supremum, reached only as beta -> inf); the message names it.
        Also if the beta is beyond float64 (a reward tilt over rewards whose
        span is tiny, e.g. subnormal): scale the rewards up; and, for the
        reward tilt, if float64 cannot tell distinct rewards apart (int64
        above 2**53, longdouble).

    Notes
    -----
    KL of the tilt increases with beta. A log-spaced grid (one Numba pass)
    brackets the target, cubic Hermite interpolation of log gamma against
    log KL gives the start, and safeguarded Newton steps in log beta
    (``dKL/dlog beta = Var(beta * s)``) converge in 2-4 passes. Tiny KL uses
    a two-pass form whose terms are all non-negative (no cancellation).

    Examples
    --------
    >>> beta = tilt_for_kl([0.5, 0.5], [0.0, 1.0], 0.1)
    >>> from bonkl_fast import kl_divergence
    >>> from bonkl_fast.policies import win_rate_tilt
    >>> round(kl_divergence(win_rate_tilt([0.5, 0.5], [0.0, 1.0], beta), [0.5, 0.5]), 12)
    0.1
    """
    kind = _as_kind(kind)
    target = _as_scalar(kl, "kl")
    levels = _tilt_levels(probs, rewards, kind, normalize, assume_sorted)
    return beta_for_kl(levels, target, kind)


def beta_for_kl(levels: Levels, target: float, kind: str) -> float:
    """:func:`tilt_for_kl` on validated levels (reward values for the reward tilt)."""
    saturation = levels.saturation
    if target < 0:
        raise ValueError(f"kl must be >= 0, got {target:g}")
    if target == 0.0:
        return 0.0
    if target >= saturation:
        raise ValueError(
            f"kl = {target:g} is out of reach: every tilt has KL below log(1/p_top) = "
            f"{saturation:.12g} (p_top = {levels.p_top:.6g}, the mass of the top reward level); "
            "pass a smaller kl"
        )
    tilt = _Tilt.build(levels, kind)
    out = _solve_gammas(tilt, np.array([target]))
    if out["limit"][0] == 1.0:
        raise ValueError(
            f"kl = {target!r} equals log(1/p_top) = {saturation!r} to rounding: the tilt "
            "reaches it only as beta -> inf; pass a smaller kl"
        )
    if out["limit"][0] == 2.0:
        raise ValueError(
            f"kl = {target:g} needs beta * (max reward - min reward) above 8e307, beyond "
            "float64: the rewards near the top differ by less than ~1e-300 of their span; "
            "clip or rescale the outlying rewards"
        )
    gamma = float(out["gamma"][0])
    beta = float(tilt.beta_of(gamma))
    if math.isinf(beta):
        span = float(_times_power_of_two(tilt.span, tilt.span_exponent))
        raise ValueError(
            f"the beta reaching kl = {target:g} is {gamma:.6g} / {span:.6g} (the span of "
            f"the {kind.replace('_', ' ')} scores), beyond float64"
            + ("; multiply the rewards by a large constant" if kind == "reward" else "")
        )
    return beta
