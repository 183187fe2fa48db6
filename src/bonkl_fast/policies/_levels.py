"""Shared pieces of the comparison policies: input scalars, level pmfs, the tilt.

Every policy of :mod:`bonkl_fast.policies` gives all outcomes of a reward
level the same ratio ``policy / pi``, so it is described by its mass on each
merged level; :func:`_expand` turns that into a per-outcome pmf.
:func:`with_reward_values` lets a :class:`bonkl_fast.Reference` hand its own
levels to the policies that use reward values.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from .._kernels_levels import compensated_sum
from .._levels import Levels
from .._validate import as_rewards
from . import _kernels_tilt as kern

_EPS = np.finfo(np.float64).eps


def _as_scalar(x, name: str) -> float:
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number, got a boolean")
    if not isinstance(x, numbers.Real) and not (
        isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iuf"
    ):
        raise TypeError(f"{name} must be a single real number, got {type(x).__name__}")
    try:
        value = float(x)
    except OverflowError:  # a Python int beyond float64
        raise ValueError(
            f"{name} must be finite, got an integer beyond float64 (~1.8e308)"
        ) from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _expand(levels: Levels, level_mass: np.ndarray) -> np.ndarray:
    """Per-outcome pmf (caller's order) from the policy's mass on each level."""
    pmf_sorted = np.zeros(levels.probs_sorted.shape[0])
    level_of = levels.level_of  # built on each access
    has_level = level_of >= 0
    level = level_of[has_level]
    # the outcome's share of its level (<= 1) first: level_mass / mass overflows
    # when a level's mass is subnormal and its policy mass is not
    share = levels.probs_sorted[has_level] / levels.mass[level]
    pmf_sorted[has_level] = share * level_mass[level]
    return levels.to_original(pmf_sorted)


def with_reward_values(levels: Levels, rewards_sorted, raw_sorted) -> Levels:
    """``levels`` for a policy that uses the reward values, not only their order.

    A :class:`bonkl_fast.Reference` validates with ``order_only=True``, which
    ranks rewards that float64 cannot tell apart (all the KL and the order-only
    policies need). ``rewards_sorted`` are those validated rewards and
    ``raw_sorted`` the caller's, in their own dtype, both in sorted order. Where
    they agree the levels hold the reward values and serve as they are (no
    validation, sort or merge again); otherwise this raises the functions' error.
    """
    try:
        with np.errstate(over="ignore"):  # longdouble beyond float64: inf, not equal
            values = np.asarray(raw_sorted, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):  # Python ints beyond float64
        values = None
    if values is not None and np.array_equal(rewards_sorted, values):
        return levels
    as_rewards(raw_sorted, None, order_only=False)  # raises (int64 above 2**53, longdouble)
    raise ValueError(  # a list mixing floats and ints above 2**53: float64 merged them already
        "rewards has distinct values that are equal once converted to float64 (integers "
        "above 2**53 mixed with floats); subtract a common offset or rescale them so "
        "float64 tells them apart"
    )


def _times_power_of_two(x, exponent: int):
    """``x * 2**exponent`` (exact unless it leaves the float64 range; inf past the top)."""
    with np.errstate(over="ignore"):
        return np.ldexp(x, exponent)


def _scaled_rewards(levels: Levels) -> tuple[np.ndarray, int]:
    """``(r * 2**-e, e)`` with every ``|r * 2**-e| < 1``: differences and means of the
    scaled rewards never overflow, even when ``max r - min r`` exceeds float64."""
    largest = max(abs(float(levels.reward[0])), abs(float(levels.reward[-1])))
    if largest == 0.0:
        return levels.reward, 0
    exponent = math.frexp(largest)[1]
    return _times_power_of_two(levels.reward, -exponent), exponent


def _win_scores(levels: Levels) -> np.ndarray:
    """Per level: v = G + q/2, the win probability of the level against pi."""
    return levels.cum - 0.5 * levels.mass


@dataclass(frozen=True)
class _Tilt:
    """A tilt on normalised scores ``d = (s - s_top) / span`` in [-1, 0] per level.

    ``gamma = beta * span`` is the tilt strength on ``d``. The score span is
    ``span * 2**span_exponent`` and ``reward`` holds the rewards times
    ``2**-reward_exponent`` (see :func:`_scaled_rewards`), so a reward span beyond
    float64 is still a finite ``span``; :meth:`gamma_of` and :meth:`beta_of` convert.
    """

    d: np.ndarray
    gap: np.ndarray  # s_top - s per level, unscaled: inf where it overflows float64
    span: float
    span_exponent: int
    mass: np.ndarray
    win: np.ndarray
    reward: np.ndarray
    reward_exponent: int
    mean_d: float
    var_d: float
    log_total: float  # log(sum q): the reference is q / sum q, sum q = 1 only to rounding
    precise_mass: np.ndarray  # for the two-pass kernel (see build) ...
    precise_total: float  # ... whose reference is precise_mass / precise_total
    saturation: float  # sup of the KL over beta: log(1 / p_top), levels.saturation
    block_log_max: np.ndarray  # max log q per block of kern.BLOCK levels (skipping)

    @classmethod
    def build(cls, levels: Levels, kind: str) -> _Tilt:
        q = levels.mass
        reward, reward_exponent = _scaled_rewards(levels)
        if kind == "win_rate":  # v_top - v_l = S_l + (q_l - q_top) / 2, accurate near the top
            gap, span_exponent = levels.tail + 0.5 * (q - q[-1]), 0
        elif kind == "reward":
            gap, span_exponent = reward[-1] - reward, reward_exponent
        else:
            raise ValueError(f'kind must be "win_rate" or "reward", got {kind!r}')
        span = float(gap[0])
        d = -gap / span if span > 0 else np.zeros_like(gap)
        if kind == "reward":  # unscaled, so gaps far below the span keep their digits
            with np.errstate(over="ignore"):
                gap = levels.reward[-1] - levels.reward
        mean_d = float(np.sum(q * d))
        var_d = float(np.sum(q * (d - mean_d) ** 2))
        total = float(compensated_sum(q))
        precise_mass, precise_total = q, total
        if q.size > 1 and q[-1] >= 0.5:
            # the top level as 1 - G (as levels.saturation): its rounding, or that of
            # sum q, would be relatively large in the KL near saturation when G is tiny
            precise_mass = q.copy()
            precise_mass[-1] = 1.0 - levels.cum[-2]
            precise_total = 1.0
        block_log_max = np.log(np.maximum.reduceat(q, np.arange(0, q.size, kern.BLOCK)))
        return cls(
            d,
            gap,
            span,
            span_exponent,
            q,
            _win_scores(levels),
            reward,
            reward_exponent,
            mean_d,
            var_d,
            math.log(total),
            precise_mass,
            precise_total,
            levels.saturation,
            block_log_max,
        )

    def gamma_of(self, beta: float) -> float:
        """``beta * span``; inf where it overflows (the tilt is then its limit).

        Mantissas and exponents apart, so neither factor over- or underflows on its own
        (a subnormal beta times a span above 1e300 keeps its precision).
        """
        beta_mantissa, beta_exponent = math.frexp(float(beta))
        span_mantissa, span_exponent = math.frexp(self.span)
        exponent = beta_exponent + span_exponent + self.span_exponent
        return float(_times_power_of_two(beta_mantissa * span_mantissa, exponent))

    def beta_of(self, gamma):
        """``gamma / span``; inf where beta itself overflows float64 (a tiny span)."""
        gamma_mantissa, gamma_exponent = np.frexp(gamma)
        span_mantissa, span_exponent = math.frexp(self.span)
        exponent = gamma_exponent - span_exponent - self.span_exponent
        return _times_power_of_two(gamma_mantissa / span_mantissa, exponent)

    def rewards(self, scaled):
        """Rewards (or means of them) from the scaled units of ``self.reward``."""
        return _times_power_of_two(scaled, self.reward_exponent)

    def level_mass(self, beta: float) -> np.ndarray:
        """The tilt's mass per level, ``q exp(-beta * gap)`` normalised.

        ``beta * gap`` from the unscaled gaps (a gap 1e-300 of the span still
        counts), from ``gamma * d`` where a gap overflows float64; a product
        that overflows is an exponent of -inf (weight 0).
        """
        if beta == 0.0:
            return self.mass / np.sum(self.mass)
        with np.errstate(over="ignore"):
            exponent = beta * self.gap
            huge = np.isinf(self.gap)
            exponent[huge] = self.gamma_of(beta) * -self.d[huge]
        log_w = np.log(self.mass) - exponent  # top level: log q_top, so Z >= q_top
        w = np.exp(log_w - log_w.max())
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
        # log(z) is off by ~eps absolute whatever log z is (z in [q_top, 1]): hence the 1
        bound = 16 * _EPS * (np.abs(mean_u) + np.abs(log_z) + np.abs(centers) + kl + 1.0)
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
        # gamma * shift: a lower bound on log Z = log sum q e^(gamma d) (Jensen: >= gamma
        # mean_d; and >= log q_top), so Z e^(-gamma shift) >= 1 stays near 1 where Z does
        # not vary much, and u_top = -gamma * shift <= 700 (no overflow)
        floor = max(math.log(self.mass[-1]), -700.0)
        shift = max(self.mean_d, floor / gamma) if gamma > 0 else self.mean_d
        return kern.tilt_precise(
            self.d, self.precise_mass, self.win, self.reward, gamma, shift, self.precise_total
        )
