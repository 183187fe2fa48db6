"""Solving for the tilt strength that reaches a target KL (MATH §8).

:func:`_solve_gammas` solves many targets in one vectorised pass; it serves
:func:`bonkl_fast.policies.tilt_for_kl` (one beta) and, through :func:`_tilts_at`,
:func:`bonkl_fast.policies.frontier`.
"""

from __future__ import annotations

import math

import numpy as np

from ._levels import _EPS, _Tilt

__all__: list[str] = []

_KL_RTOL = 1e-11  # tilt solves stop when |KL - target| <= _KL_RTOL * target
_REFINE_JUMP = 0.75  # bracketing grid: split intervals where log KL grows by more
_REFINE_ROUNDS = 6
_SATURATED_RTOL = 1e-9  # KL this close to log(1/p_top): the tilt is its limit to rounding
_LOG_GAMMA_MAX = 709.0  # gamma <= e^709 = 8.2e307: gamma * (d - shift), |d - shift| <= 2, is finite


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
        if res["kl"][-1] > targets.max() or ts[-1] >= _LOG_GAMMA_MAX:
            break
        more = np.minimum(ts[-1] + np.arange(1.0, 17.0), _LOG_GAMMA_MAX)
        more = np.unique(more[more > ts[-1]])
        extra = tilt.fast(np.exp(more), np.zeros(more.size))
        ts = np.concatenate((ts, more))
        res = {k: np.concatenate((res[k], extra[k])) for k in res}
    for _ in range(_REFINE_ROUNDS):  # split intervals holding targets where log KL jumps
        kl_grid = np.maximum.accumulate(res["kl"])
        hits = np.unique(np.clip(np.searchsorted(kl_grid, targets), 1, ts.size - 1))
        with np.errstate(divide="ignore", invalid="ignore"):  # KL 0: no jump to refine
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
    ``out["limit"]`` flags targets that no gamma up to ``e^709`` reaches: 1 where
    the KL there is the saturation to rounding (the tilt is its beta -> inf limit),
    2 where it is not (a reward span so wide that gamma would overflow float64).
    """
    out = {k: np.zeros(targets.size) for k in ("gamma", "kl", "win", "reward", "limit")}
    gamma0 = np.sqrt(2.0 * targets) / math.sqrt(tilt.var_d)  # (a subnormal Var d: no overflow)
    small = 16 * _EPS * (2 * gamma0 * abs(tilt.mean_d) + targets) > 0.1 * _KL_RTOL * targets
    for i in np.flatnonzero(small):
        _refine_precise(tilt, float(targets[i]), math.log(gamma0[i]), out, i)
    if not small.all():
        res = _solve_gammas_grid(tilt, targets[~small])
        for key in out:
            out[key][~small] = res[key]
    return out


@np.errstate(divide="ignore", invalid="ignore", over="ignore")  # not finite: falls back
def _hermite_start(grid: dict, hi_idx, y0, y1, lo_t, hi_t, goal_y):
    """log gamma at log KL = goal_y, interpolated between bracketing grid points.

    With ``g(t) = log KL``: ``g' = Var u / KL``, ``g'' = (2 Var u + k3) / KL - g'^2``,
    so the inverse ``t(y)`` has ``t' = 1 / g'`` and ``t'' = -g'' / g'^3`` at both ends:
    quintic Hermite (error O(h^6)); falls back to cubic, then linear, if it leaves
    the bracket (or is not finite: flat KL, overflow).
    """
    h = y1 - y0
    s = (goal_y - y0) / h
    ends = []
    for idx in (hi_idx - 1, hi_idx):
        kl = np.maximum(grid["kl"][idx], 1e-300)
        g1 = np.maximum(grid["var_u"][idx], 1e-300) / kl
        g2 = (2 * grid["var_u"][idx] + grid["skew_u"][idx]) / kl - g1**2
        ends.append((h / g1, -(h**2) * g2 / g1**3))
    (d0, c0), (d1, c1) = ends
    cubic = (
        (2 * s**3 - 3 * s**2 + 1) * lo_t
        + (s**3 - 2 * s**2 + s) * d0
        + (-2 * s**3 + 3 * s**2) * hi_t
        + (s**3 - s**2) * d1
    )
    s3, s4, s5 = s**3, s**4, s**5
    quintic = (
        (1 - 10 * s3 + 15 * s4 - 6 * s5) * lo_t
        + (s - 6 * s3 + 8 * s4 - 3 * s5) * d0
        + (0.5 * s**2 - 1.5 * s3 + 1.5 * s4 - 0.5 * s5) * c0
        + (0.5 * s3 - s4 + 0.5 * s5) * c1
        + (-4 * s3 + 7 * s4 - 3 * s5) * d1
        + (10 * s3 - 15 * s4 + 6 * s5) * hi_t
    )
    linear = lo_t + s * (hi_t - lo_t)
    cubic = np.where((cubic > lo_t) & (cubic < hi_t), cubic, linear)
    return np.where((quintic > lo_t) & (quintic < hi_t), quintic, cubic)


def _solve_gammas_grid(tilt: _Tilt, targets: np.ndarray) -> dict:
    """Grid bracketing, Hermite start and Halley passes for all targets at once."""
    ts, grid = _bracket_grid(tilt, targets)
    kl_grid = np.maximum.accumulate(grid["kl"])
    hi_idx = np.searchsorted(kl_grid, targets, side="left")
    # targets outside the grid (its one-pass values are off by rounding there): two-pass
    # Newton from the grid's lowest point, or from where its KL stopped growing
    outside = (hi_idx >= ts.size) | (hi_idx == 0)
    out = {k: np.zeros(targets.size) for k in ("gamma", "kl", "win", "reward", "limit")}
    plateau = float(ts[int(np.argmax(kl_grid))])
    for i in np.flatnonzero(outside):
        _refine_precise(tilt, float(targets[i]), plateau if hi_idx[i] else float(ts[0]), out, i)
    if outside.all():
        return out
    inner = _solve_gammas_bracketed(tilt, targets[~outside], ts, grid, hi_idx[~outside])
    for key in out:
        out[key][~outside] = inner[key]
    return out


def _solve_gammas_bracketed(tilt: _Tilt, targets, ts, grid, hi_idx) -> dict:
    """Hermite start and Halley passes for targets bracketed by the grid."""
    saturation = tilt.saturation
    kl_grid = np.maximum.accumulate(grid["kl"])
    lo_t, hi_t = ts[hi_idx - 1], ts[hi_idx]
    y0, y1 = np.log(np.maximum(kl_grid[hi_idx - 1], 1e-300)), np.log(kl_grid[hi_idx])
    t = _hermite_start(grid, hi_idx, y0, y1, lo_t, hi_t, np.log(targets))
    mean_d = np.interp(t, ts, grid["mean_u"] / np.exp(ts))
    out = {k: np.zeros(targets.size) for k in ("gamma", "kl", "win", "reward", "limit")}
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


def _refine_precise(tilt: _Tilt, goal: float, t: float, out: dict, i: int | np.integer):
    """Newton in log gamma with the two-pass kernel; bracket from its own values only.

    Steps are capped at ``reach``, which doubles while no bracket is found (a start
    far from the root, e.g. at the end of the grid, is left in a few steps); a step
    leaving the bracket, or two steps that did not halve it, bisect it (KL and its
    variance can be subnormal, where Newton crawls). Sets ``out["limit"][i]`` (see
    :func:`_solve_gammas`) if even ``gamma = e^709`` stays below ``goal``.
    """
    lo, hi = -math.inf, math.inf
    t = min(t, _LOG_GAMMA_MAX)
    reach = 2.0
    widths = [math.inf, math.inf]  # bracket widths two and one steps ago
    for _ in range(300):
        gamma = math.exp(t)
        kl, win, reward, var_u = tilt.precise(gamma)
        out["gamma"][i], out["kl"][i], out["win"][i], out["reward"][i] = gamma, kl, win, reward
        if abs(kl - goal) <= _KL_RTOL * goal or hi - lo <= 4 * _EPS * max(abs(t), 1.0):
            return
        if t >= _LOG_GAMMA_MAX and kl < goal:
            saturated = kl >= tilt.saturation * (1.0 - _SATURATED_RTOL) - 16 * _EPS
            out["limit"][i] = 1.0 if saturated else 2.0
            return
        lo, hi = (max(lo, t), hi) if kl < goal else (lo, min(hi, t))
        if kl > 0.0 and var_u > 0.0:
            step = (math.log(kl) - math.log(goal)) * (kl / var_u)
            new_t = t - max(min(step, reach), -reach)
        else:  # no slope to follow: towards the target
            new_t = t + reach if kl < goal else t - reach
        stalled = hi - lo > 0.5 * widths[0]
        widths = [widths[1], hi - lo]
        if math.isfinite(lo + hi) and (stalled or not lo < new_t < hi):
            new_t = 0.5 * (lo + hi)
        elif not lo < new_t < hi:
            new_t = lo + reach if lo > -math.inf else hi - reach
        if not math.isfinite(lo + hi):
            reach *= 2.0
        t = min(new_t, _LOG_GAMMA_MAX)


def _tilts_at(tilt: _Tilt, targets: np.ndarray, saturation: float) -> dict:
    """Tilt at each target KL; targets at saturation (to rounding) give the limit policy.

    Expected rewards are in the scaled units of ``tilt.reward``; beta is inf at the
    limit and where it overflows float64; all three are NaN where the tilt cannot
    reach the target in float64 (``limit`` 2 in :func:`_solve_gammas`).
    """
    out = {k: np.empty(targets.size) for k in ("beta", "win", "reward")}
    zero = targets <= 0.0
    saturated = ~zero & (targets >= saturation * (1.0 - 1e-13))
    solve = ~zero & ~saturated
    out["beta"][zero] = 0.0
    out["win"][zero] = 0.5  # the reference against itself (as frontier's n = 1)
    out["reward"][zero] = float(np.sum(tilt.mass * tilt.reward))
    out["beta"][saturated] = np.inf
    out["win"][saturated] = tilt.win[-1]
    out["reward"][saturated] = tilt.reward[-1]
    if solve.any():
        res = _solve_gammas(tilt, targets[solve])
        limit, overflow = res["limit"] == 1.0, res["limit"] == 2.0
        for key, at_limit, solved in (
            ("beta", np.inf, tilt.beta_of(res["gamma"])),
            ("win", tilt.win[-1], res["win"]),
            ("reward", tilt.reward[-1], res["reward"]),
        ):
            out[key][solve] = np.where(limit, at_limit, np.where(overflow, np.nan, solved))
    return out
