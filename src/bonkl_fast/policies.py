"""Comparison policies for best-of-n and the exact win-rate/KL frontier (MATH §8).

Every policy here is a pmf over the reference's outcomes that gives all
outcomes of a reward level the same ratio ``policy / pi``. Its KL, win rate
and expected reward are therefore exact sums over the merged levels, and
:func:`bonkl_fast.kl_divergence` / :func:`bonkl_fast.win_rate_vs_reference`
applied to the returned pmf agree with them.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, fields

import numpy as np
from scipy.optimize import brentq

from . import _kernels_policies as kern
from ._levels import Levels, prepare_levels
from ._validate import as_n
from .exact import bon_pmf, kl_bound

__all__ = [
    "rewind_and_repeat",
    "win_rate_tilt",
    "reward_tilt",
    "tilt_for_kl",
    "soft_best_of_n",
    "frontier",
    "Frontier",
]

_EPS = np.finfo(np.float64).eps
_KL_RTOL = 1e-11  # tilt solves stop when |KL - target| <= _KL_RTOL * target
_REFINE_JUMP = 0.5  # bracketing grid: split intervals where log KL grows by more
_REFINE_ROUNDS = 6


def _as_scalar(x, name: str) -> float:
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number, got a boolean")
    if not isinstance(x, numbers.Real) and not (
        isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iuf"
    ):
        raise TypeError(f"{name} must be a single real number, got {type(x).__name__}")
    value = float(x)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _expand(levels: Levels, level_mass: np.ndarray) -> np.ndarray:
    """Per-outcome pmf (caller's order) from the policy's mass on each level."""
    pmf_sorted = np.zeros(levels.probs_sorted.shape[0])
    has_level = levels.level_of >= 0
    level = levels.level_of[has_level]
    pmf_sorted[has_level] = levels.probs_sorted[has_level] * (
        level_mass[level] / levels.mass[level]
    )
    return levels.to_original(pmf_sorted)


def _win_scores(levels: Levels) -> np.ndarray:
    """Per level: v = G + q/2, the win probability of the level against pi."""
    return levels.cum - 0.5 * levels.mass


# ---------------------------------------------------------------- rewind-and-repeat


def _rewind_summary(levels: Levels, alphas: np.ndarray, suffix: dict):
    """KL, win rate and expected reward of rewind-and-repeat for each alpha (vectorized)."""
    size = levels.mass.shape[0]
    above = np.searchsorted(levels.tail[::-1], alphas, side="left")  # levels with S < alpha
    b = size - above
    s_b = levels.tail[b]
    accepted = alphas - s_b  # mass taken from the boundary level, in (0, q_b]
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = (s_b / alphas) * -np.log(alphas) + (accepted / alphas) * np.log(
            accepted / (levels.mass[b] * alphas)
        )
    win = (suffix["win"][b] + accepted * _win_scores(levels)[b]) / alphas
    reward = (suffix["reward"][b] + accepted * levels.reward[b]) / alphas
    full = alphas >= 1.0
    kl[full] = 0.0
    win[full] = 0.5
    reward[full] = suffix["reward"][0] + levels.mass[0] * levels.reward[0]
    return np.maximum(kl, 0.0), win, reward, b, accepted


def _suffix_sums(levels: Levels) -> dict:
    """sum_{m > l} q_m v_m and sum_{m > l} q_m r_m (exclusive sums from the top)."""
    out = {}
    for key, score in (("win", _win_scores(levels)), ("reward", levels.reward)):
        terms = (levels.mass * score)[::-1]
        out[key] = np.concatenate(([0.0], np.cumsum(terms)[:-1]))[::-1].copy()
    return out


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
    b = size - int(np.searchsorted(levels.tail[::-1], a, side="left"))
    level_mass = np.where(np.arange(size) > b, levels.mass / a, 0.0)
    level_mass[b] = (a - levels.tail[b]) / a
    return _expand(levels, level_mass)


def _rewind_alpha_for_kl(levels: Levels, kl: float) -> float:
    """alpha in [p_top, 1] whose rewind-and-repeat KL equals ``kl`` (< log 1/p_top)."""
    if kl <= 0.0:
        return 1.0
    size = levels.mass.shape[0]
    # KL = -log(alpha) at level boundaries alpha = S_{b-1}, so the root lies in e^-kl's level
    b = size - int(np.searchsorted(levels.tail[::-1], math.exp(-kl), side="left"))
    s_b, q_b = float(levels.tail[b]), float(levels.mass[b])

    def excess(alpha):
        accepted = alpha - s_b
        value = (s_b / alpha) * -math.log(alpha)
        if accepted > 0.0:
            value += (accepted / alpha) * math.log(accepted / (q_b * alpha))
        return value - kl

    hi = min(s_b + q_b, 1.0)
    lo = s_b
    if excess(hi) >= 0.0:
        return hi
    if lo <= 0.0 or excess(lo) <= 0.0:
        return lo
    return brentq(excess, lo, hi, xtol=1e-300, rtol=4 * _EPS, maxiter=400)


# ------------------------------------------------------------------------ tilts


@dataclass(frozen=True)
class _Tilt:
    """A tilt on normalised scores ``d = (s - s_top) / span`` in [-1, 0] per level."""

    d: np.ndarray
    span: float
    mass: np.ndarray
    win: np.ndarray
    reward: np.ndarray
    mean_d: float
    var_d: float
    log_total: float  # log(sum q): the reference is q / sum q, sum q = 1 only to rounding
    block_log_max: np.ndarray  # max log q per block of 256 levels (for skipping in the kernel)

    @classmethod
    def build(cls, levels: Levels, kind: str) -> _Tilt:
        q = levels.mass
        if kind == "win_rate":  # v_top - v_l = S_l + (q_l - q_top) / 2, accurate near the top
            gap = levels.tail + 0.5 * (q - q[-1])
        elif kind == "reward":
            gap = levels.reward[-1] - levels.reward
        else:
            raise ValueError(f'kind must be "win_rate" or "reward", got {kind!r}')
        span = float(gap[0])
        d = -gap / span if span > 0 else np.zeros_like(gap)
        mean_d = float(np.sum(q * d))
        var_d = float(np.sum(q * (d - mean_d) ** 2))
        log_total = math.log(math.fsum(q))
        block_log_max = np.log(np.maximum.reduceat(q, np.arange(0, q.size, 256)))
        return cls(
            d, span, q, _win_scores(levels), levels.reward, mean_d, var_d, log_total, block_log_max
        )

    def level_mass(self, gamma: float) -> np.ndarray:
        log_w = np.log(self.mass) + gamma * self.d  # top level: log q_top, so Z >= q_top
        top = log_w.max()
        w = np.exp(log_w - top)
        return w / np.sum(w)

    def fast(self, gammas: np.ndarray, centers: np.ndarray) -> dict:
        """One Numba pass for all gammas: KL, win, reward, mean/var of u, error bound."""
        # skipped weights are below e^-50 q_top / (L (1 + gamma + |c|) (1 + max|r|)) each:
        # together under 1e-21 of Z, of the centred first moment, and of the reward sum
        scale = np.log1p(gammas + np.abs(centers)) + math.log1p(float(np.abs(self.reward).max()))
        floors = math.log(self.mass[-1]) - 50.0 - math.log(self.mass.size) - scale
        z, first, second, win, reward, third = kern.tilt_moments_many(
            self.d, self.mass, self.win, self.reward, gammas, centers, self.block_log_max, floors
        )
        log_z = np.log(z)
        mean_dev = first / z
        mean_u = centers + mean_dev
        kl = np.maximum(mean_u - log_z + self.log_total, 0.0)
        var_u = np.maximum(second / z - mean_dev**2, 0.0)
        skew_u = third / z - 3 * mean_dev * second / z + 2 * mean_dev**3
        bound = 16 * _EPS * (np.abs(mean_u) + np.abs(log_z) + np.abs(centers) + kl)
        return {
            "kl": kl,
            "win": win / z,
            "reward": reward / z,
            "mean_u": mean_u,
            "var_u": var_u,
            "skew_u": skew_u,
            "bound": bound,
        }

    def precise(self, gamma: float):
        shift = max(self.mean_d, -700.0 / gamma) if gamma > 0 else self.mean_d
        return kern.tilt_precise(self.d, self.mass, self.win, self.reward, gamma, shift)


def _bracket_grid(tilt: _Tilt, targets: np.ndarray):
    """Log-gamma grid, step 1, whose KL values bracket every target (extended as needed)."""
    t0 = 0.5 * math.log(2.0 * targets.min() / tilt.var_d) - 1.5
    ts = t0 + np.arange(16.0)
    res = tilt.fast(np.exp(ts), np.zeros(ts.size))
    for _ in range(60):
        if res["kl"][0] < targets.min():
            break
        more = ts[0] - np.arange(16.0, 0.0, -1.0)
        extra = tilt.fast(np.exp(more), np.zeros(more.size))
        ts = np.concatenate((more, ts))
        res = {k: np.concatenate((extra[k], res[k])) for k in res}
    for _ in range(60):
        if res["kl"][-1] > targets.max() or ts[-1] > 710.0:
            break
        more = ts[-1] + np.arange(1.0, 17.0)
        extra = tilt.fast(np.exp(more), np.zeros(more.size))
        ts = np.concatenate((ts, more))
        res = {k: np.concatenate((res[k], extra[k])) for k in res}
    for _ in range(_REFINE_ROUNDS):  # split intervals holding targets where log KL jumps
        kl_grid = np.maximum.accumulate(res["kl"])
        hits = np.unique(np.clip(np.searchsorted(kl_grid, targets), 1, ts.size - 1))
        with np.errstate(divide="ignore"):
            jump = np.log(kl_grid[hits]) - np.log(kl_grid[hits - 1])
        coarse = hits[(jump > _REFINE_JUMP) & (ts[hits] - ts[hits - 1] > 1e-6)]
        if coarse.size == 0:
            break
        width = ts[coarse] - ts[coarse - 1]
        more = (ts[coarse - 1][:, None] + width[:, None] * np.array([0.25, 0.5, 0.75])).ravel()
        extra = tilt.fast(np.exp(more), np.zeros(more.size))
        ts = np.concatenate((ts, more))
        keep = np.argsort(ts, kind="stable")
        ts = ts[keep]
        res = {k: np.concatenate((res[k], extra[k]))[keep] for k in res}
    return ts, res


def _newton_step(res: dict, goal: np.ndarray, saturation: float) -> np.ndarray:
    """Halley step in t = log gamma on log KL, or on log(sat - KL) near saturation.

    ``dKL/dt = Var(u)`` and ``dVar(u)/dt = 2 Var(u) + k3(u)`` (third cumulant),
    so one pass gives g, g' and g''; the step converges cubically. Near
    ``log(1/p_top)`` the KL flattens and its gap to the saturation decays like
    ``gamma e^(-gamma delta)``: the log of the gap is the nearly linear
    quantity there.
    """
    var = np.maximum(res["var_u"], 1e-300)
    kl = np.maximum(res["kl"], 1e-300)
    gap = np.maximum(saturation - res["kl"], 1e-300)
    near = goal > 0.5 * saturation
    dvar = 2 * var + res["skew_u"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g = np.where(near, np.log(gap) - np.log(saturation - goal), np.log(kl) - np.log(goal))
        g1 = np.where(near, -var / gap, var / kl)
        g2 = np.where(near, -dvar / gap - (var / gap) ** 2, dvar / kl - (var / kl) ** 2)
        newton = g / g1
        damping = 1.0 - 0.5 * newton * g2 / g1
        halley = newton / damping
    return np.where(np.isfinite(halley) & (damping > 0.5), halley, newton)


def _solve_gammas(tilt: _Tilt, targets: np.ndarray) -> dict:
    """gamma (and KL, win, reward) of the tilt with KL == target, targets in (0, sat).

    Targets so small that the one-pass KL cannot resolve them (its rounding,
    about ``eps * gamma |mean d|``, exceeds the tolerance) are solved with the
    two-pass kernel from ``gamma = sqrt(2 KL / Var d)``, exact as KL -> 0.
    """
    out = {k: np.zeros(targets.size) for k in ("gamma", "kl", "win", "reward")}
    gamma0 = np.sqrt(2.0 * targets / tilt.var_d)
    small = 16 * _EPS * (2 * gamma0 * abs(tilt.mean_d) + targets) > 0.1 * _KL_RTOL * targets
    for i in np.flatnonzero(small):
        _refine_precise(tilt, float(targets[i]), math.log(gamma0[i]), out, i)
    if not small.all():
        res = _solve_gammas_grid(tilt, targets[~small])
        for key in out:
            out[key][~small] = res[key]
    return out


def _solve_gammas_grid(tilt: _Tilt, targets: np.ndarray) -> dict:
    """Grid bracketing, Hermite start and Halley passes for all targets at once."""
    saturation = -math.log(tilt.mass[-1])
    ts, grid = _bracket_grid(tilt, targets)
    kl_grid = np.maximum.accumulate(grid["kl"])
    hi_idx = np.searchsorted(kl_grid, targets, side="left")
    if (hi_idx >= ts.size).any() or (hi_idx == 0).any():
        bad = float(targets[(hi_idx >= ts.size) | (hi_idx == 0)][0])
        raise ValueError(f"kl = {bad!r} cannot be reached by the tilt in float64 arithmetic")
    lo_t, hi_t = ts[hi_idx - 1], ts[hi_idx]
    y0, y1 = np.log(np.maximum(kl_grid[hi_idx - 1], 1e-300)), np.log(kl_grid[hi_idx])
    slope0 = grid["kl"][hi_idx - 1] / np.maximum(grid["var_u"][hi_idx - 1], 1e-300)
    slope1 = grid["kl"][hi_idx] / np.maximum(grid["var_u"][hi_idx], 1e-300)
    # cubic Hermite of t as a function of y = log KL (dt/dy = KL / var u)
    h = y1 - y0
    s = (np.log(targets) - y0) / h
    t = (
        (2 * s**3 - 3 * s**2 + 1) * lo_t
        + (s**3 - 2 * s**2 + s) * h * slope0
        + (-2 * s**3 + 3 * s**2) * hi_t
        + (s**3 - s**2) * h * slope1
    )
    t = np.where((t > lo_t) & (t < hi_t), t, lo_t + s * (hi_t - lo_t))
    mean_d = np.interp(t, ts, grid["mean_u"] / np.exp(ts))
    out = {k: np.zeros(targets.size) for k in ("gamma", "kl", "win", "reward")}
    trusted = np.zeros(targets.size, dtype=bool)  # fast one-pass value accurate to the tolerance
    active = np.arange(targets.size)
    for _ in range(100):
        if active.size == 0:
            break
        gamma = np.exp(t[active])
        res = tilt.fast(gamma, gamma * mean_d[active])
        goal = targets[active]
        err = res["kl"] - goal
        reliable = res["bound"] <= 0.1 * _KL_RTOL * goal
        done = (np.abs(err) <= _KL_RTOL * goal) | ~reliable
        trusted[active[done]] = reliable[done]
        for key in ("kl", "win", "reward"):
            out[key][active[done]] = res[key][done]
        out["gamma"][active[done]] = gamma[done]
        low = err < 0
        lo_t[active] = np.where(low, np.maximum(lo_t[active], t[active]), lo_t[active])
        hi_t[active] = np.where(low, hi_t[active], np.minimum(hi_t[active], t[active]))
        new_t = t[active] - _newton_step(res, goal, saturation)
        inside = (new_t > lo_t[active]) & (new_t < hi_t[active])
        t[active] = np.where(inside, new_t, 0.5 * (lo_t[active] + hi_t[active]))
        mean_d[active] = res["mean_u"] / gamma
        active = active[~done]
    imprecise = np.flatnonzero(~trusted | (np.abs(out["kl"] - targets) > _KL_RTOL * targets))
    for i in imprecise:  # tiny KL (or no convergence): two-pass evaluation, Newton in log gamma
        _refine_precise(tilt, float(targets[i]), float(t[i]), out, i)
    return out


def _refine_precise(tilt: _Tilt, goal: float, t: float, out: dict, i: int):
    """Newton in log gamma with the two-pass kernel; bracket from its own values only."""
    lo, hi = -math.inf, math.inf
    for _ in range(200):
        gamma = math.exp(t)
        kl, win, reward, var_u = tilt.precise(gamma)
        out["gamma"][i], out["kl"][i], out["win"][i], out["reward"][i] = gamma, kl, win, reward
        if abs(kl - goal) <= _KL_RTOL * goal or hi - lo <= 4 * _EPS * max(abs(t), 1.0):
            return
        lo, hi = (max(lo, t), hi) if kl < goal else (lo, min(hi, t))
        step = (math.log(max(kl, 1e-300)) - math.log(goal)) * kl / max(var_u, 1e-300)
        new_t = t - max(min(step, 2.0), -2.0)
        if not lo < new_t < hi:
            new_t = (
                0.5 * (lo + hi)
                if math.isfinite(lo + hi)
                else (lo + 1.0 if hi == math.inf else hi - 1.0)
            )
        t = new_t


def _as_beta(beta) -> float:
    value = _as_scalar(beta, "beta")
    if value < 0:
        raise ValueError(f"beta is the tilt strength and must be >= 0, got {value:g}")
    return value


def _tilt_pmf(probs, rewards, beta, kind, normalize, assume_sorted):
    b = _as_beta(beta)
    levels = prepare_levels(probs, rewards, normalize=normalize, assume_sorted=assume_sorted)
    tilt = _Tilt.build(levels, kind)
    return _expand(levels, tilt.level_mass(b * tilt.span))


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
    exponentiating, so large ``beta * r`` never overflows.

    Examples
    --------
    >>> reward_tilt([0.5, 0.5], [0.0, 1.0], math.log(3.0)).round(12)
    array([0.25, 0.75])
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
        Which tilt: :func:`win_rate_tilt` or :func:`reward_tilt`.
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
    >>> round(kl_divergence(win_rate_tilt([0.5, 0.5], [0.0, 1.0], beta), [0.5, 0.5]), 12)
    0.1
    """
    kind = _as_kind(kind)
    target = _as_scalar(kl, "kl")
    levels = prepare_levels(probs, rewards, normalize=normalize, assume_sorted=assume_sorted)
    saturation = 0.0 - math.log(levels.p_top)
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
    return float(out["gamma"][0] / tilt.span)


# ------------------------------------------------------------------ soft best-of-n

_GAUSS_NODES, _GAUSS_WEIGHTS = np.polynomial.legendre.leggauss(16)
_PANEL = 0.5  # panel width in s = log t, 16 Gauss-Legendre nodes (1.0 agrees to 1e-15)
_HARD_GAP = 800.0  # reward gaps above 800 * temperature: soft == hard to float64


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
        For invalid input, ``n < 1`` or a temperature that is not a positive
        finite number.

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
    levels = prepare_levels(probs, rewards, normalize=normalize, assume_sorted=assume_sorted)
    if n_value == 1.0 or levels.mass.shape[0] == 1:
        return levels.probs.copy()
    gaps = np.diff(levels.reward) / lam
    if gaps.min() > _HARD_GAP:
        return bon_pmf(levels.probs, levels.rewards, n_value)
    with np.errstate(over="ignore"):
        log_e = (levels.reward - levels.reward[-1]) / lam
    if not np.isfinite(log_e).all():
        raise ValueError(
            f"temperature {lam:g} is too small for the reward range "
            f"{levels.reward[-1] - levels.reward[0]:g}: (max - min) / temperature overflows"
        )
    nodes, weights = _soft_quadrature(log_e, n_value)
    level_mass = kern.soft_bon_level_masses(log_e, levels.mass, n_value, nodes, weights)
    return _expand(levels, level_mass)


# ------------------------------------------------------------------------ frontier


@dataclass(frozen=True)
class Frontier:
    """Best-of-n against the comparison policies, one entry per n (MATH §8).

    Attributes (arrays of shape ``(len(ns),)`` unless stated)
    ----------------------------------------------------------
    n : draws of best-of-n.
    kl_bound : folklore ``log n - (n - 1) / n``.
    bon_kl, bon_win_rate, bon_reward : exact best-of-n KL, win rate, expected reward.
    rr_cost_kl, rr_cost_win_rate, rr_cost_reward : rewind-and-repeat at
        ``alpha = 1 / n`` (same expected number of draws).
    rr_alpha, rr_win_rate, rr_reward : rewind-and-repeat at best-of-n's KL.
    win_tilt_beta, win_tilt_win_rate, win_tilt_reward : win-rate tilt at best-of-n's KL.
    reward_tilt_beta, reward_tilt_win_rate, reward_tilt_reward : reward tilt at
        best-of-n's KL (beta = inf where that KL is the saturation value).
    win_rate_shortfall : ``win_tilt_win_rate - bon_win_rate`` (>= 0).
    reward_shortfall : ``reward_tilt_reward - bon_reward`` (>= 0).
    kl_saturation : float, ``log(1 / p_top)``.

    Examples
    --------
    >>> f = frontier([0.5, 0.5], [0.0, 1.0], [1, 4])
    >>> print(f.to_csv().splitlines()[0][:40])
    n,kl_bound,bon_kl,bon_win_rate,bon_rewar
    >>> print(f.to_markdown(3).splitlines()[3][:42])
    | 4 | 0.636 | 0.459 | 0.719 | 0.938 | 0.69
    """

    n: np.ndarray
    kl_bound: np.ndarray
    bon_kl: np.ndarray
    bon_win_rate: np.ndarray
    bon_reward: np.ndarray
    rr_cost_kl: np.ndarray
    rr_cost_win_rate: np.ndarray
    rr_cost_reward: np.ndarray
    rr_alpha: np.ndarray
    rr_win_rate: np.ndarray
    rr_reward: np.ndarray
    win_tilt_beta: np.ndarray
    win_tilt_win_rate: np.ndarray
    win_tilt_reward: np.ndarray
    reward_tilt_beta: np.ndarray
    reward_tilt_win_rate: np.ndarray
    reward_tilt_reward: np.ndarray
    win_rate_shortfall: np.ndarray
    reward_shortfall: np.ndarray
    kl_saturation: float

    def columns(self) -> list[str]:
        """Names of the per-n columns, in table order."""
        return [f.name for f in fields(self) if f.name != "kl_saturation"]

    def to_markdown(self, digits: int = 6) -> str:
        """A markdown table, one row per n (``digits`` significant digits)."""
        cols = self.columns()
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for i in range(self.n.size):
            lines.append(
                "| " + " | ".join(f"{getattr(self, c)[i]:.{digits}g}" for c in cols) + " |"
            )
        return "\n".join(lines)

    def to_csv(self) -> str:
        """CSV text with a header row, full float64 precision (``repr``)."""
        cols = self.columns()
        rows = [",".join(cols)]
        for i in range(self.n.size):
            rows.append(",".join(repr(float(getattr(self, c)[i])) for c in cols))
        return "\n".join(rows) + "\n"


def _tilts_at(tilt: _Tilt, targets: np.ndarray, saturation: float) -> dict:
    """Tilt at each target KL; targets at saturation (to rounding) give the limit policy."""
    out = {k: np.empty(targets.size) for k in ("beta", "win", "reward")}
    zero = targets <= 0.0
    saturated = ~zero & (targets >= saturation * (1.0 - 1e-13))
    solve = ~zero & ~saturated
    out["beta"][zero] = 0.0
    out["win"][zero] = float(np.sum(tilt.mass * tilt.win))
    out["reward"][zero] = float(np.sum(tilt.mass * tilt.reward))
    out["beta"][saturated] = np.inf
    out["win"][saturated] = tilt.win[-1]
    out["reward"][saturated] = tilt.reward[-1]
    if solve.any():
        res = _solve_gammas(tilt, targets[solve])
        out["beta"][solve] = res["gamma"] / tilt.span
        out["win"][solve] = res["win"]
        out["reward"][solve] = res["reward"]
    return out


def frontier(
    probs, rewards, ns, *, normalize: bool = False, assume_sorted: bool = False
) -> Frontier:
    """Where best-of-n sits: its KL, win rate and reward next to the comparison policies.

    Parameters
    ----------
    probs, rewards : array_like, shape (K,)
        The reference distribution.
    ns : array_like
        Values of n (real, >= 1), any order; the table follows this order.
    normalize, assume_sorted : bool
        As in :func:`bonkl_fast.bon_pmf`.

    Returns
    -------
    Frontier
        Per n: best-of-n, folklore KL, rewind-and-repeat at ``alpha = 1/n`` and at
        equal KL, both tilts at equal KL, and best-of-n's shortfalls.

    Notes
    -----
    One sort, one Numba pass for best-of-n at all n, O(log K) per n for
    rewind-and-repeat (the root lies in the level of ``alpha = e^-KL``), and
    for each tilt one vectorised solve for all n (a bracketing grid pass plus
    2-4 Newton passes). Where best-of-n's KL equals ``log(1/p_top)`` to
    rounding the tilts are reported at their limit (beta = inf, the top level).

    Examples
    --------
    >>> f = frontier([0.25, 0.25, 0.25, 0.25], [0.0, 1.0, 2.0, 3.0], [1, 2, 4])
    >>> f.bon_win_rate
    array([0.5       , 0.65625   , 0.77929688])
    >>> bool((f.win_rate_shortfall >= -1e-12).all())
    True
    """
    levels = prepare_levels(probs, rewards, normalize=normalize, assume_sorted=assume_sorted)
    flat, _, _ = as_n(ns, "ns")
    order = np.argsort(flat, kind="stable")
    ns_sorted = np.ascontiguousarray(flat[order])
    summary = kern.bon_summary_many(levels.mass, levels.cum, levels.tail, levels.reward, ns_sorted)
    bon = np.empty_like(summary)
    bon[:, order] = summary
    ones = flat == 1.0
    bon[0, ones], bon[1, ones] = 0.0, 0.5
    saturation = 0.0 - math.log(levels.p_top)
    bon_kl = np.minimum(np.maximum(bon[0], 0.0), saturation)
    suffix = _suffix_sums(levels)
    cost_kl, cost_win, cost_reward, _, _ = _rewind_summary(levels, 1.0 / flat, suffix)
    rr_alpha = np.array(
        [
            _rewind_alpha_for_kl(levels, k) if k < saturation * (1.0 - 1e-13) else levels.p_top
            for k in bon_kl
        ]
    )
    _, rr_win, rr_reward, _, _ = _rewind_summary(levels, rr_alpha, suffix)
    win_tilt = _tilts_at(_Tilt.build(levels, "win_rate"), bon_kl, saturation)
    reward_tilt_ = _tilts_at(_Tilt.build(levels, "reward"), bon_kl, saturation)
    return Frontier(
        n=flat.copy(),
        kl_bound=np.asarray(kl_bound(flat)),
        bon_kl=bon_kl,
        bon_win_rate=bon[1],
        bon_reward=bon[2],
        rr_cost_kl=cost_kl,
        rr_cost_win_rate=cost_win,
        rr_cost_reward=cost_reward,
        rr_alpha=rr_alpha,
        rr_win_rate=rr_win,
        rr_reward=rr_reward,
        win_tilt_beta=win_tilt["beta"],
        win_tilt_win_rate=win_tilt["win"],
        win_tilt_reward=win_tilt["reward"],
        reward_tilt_beta=reward_tilt_["beta"],
        reward_tilt_win_rate=reward_tilt_["win"],
        reward_tilt_reward=reward_tilt_["reward"],
        win_rate_shortfall=win_tilt["win"] - bon[1],
        reward_shortfall=reward_tilt_["reward"] - bon[2],
        kl_saturation=saturation,
    )
