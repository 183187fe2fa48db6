"""Levels without per-outcome bookkeeping (issue 14, memory): same levels, same draws.

``prepare_levels`` stores ``start``/``stop``/``level_of`` only where some level
holds several outcomes (or a zero mass), and the samplers write their per-level
tables over the level sums they no longer read. Each test compares with the
plain construction: levels from NumPy (``np.unique`` runs) and the sums of
``chunk_levels``, and the sampler arrays built as before, every array
materialised and nothing overwritten, fed to the same draw kernels.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bonkl_fast import _kernels_exact as kex
from bonkl_fast import _kernels_sampler_tables as tables
from bonkl_fast import _kernels_sampling as ks
from bonkl_fast import exact
from bonkl_fast._chunks import chunk_count, chunk_len
from bonkl_fast._kernels_estimate import estimate_expected_many
from bonkl_fast._kernels_kl import chunk_levels
from bonkl_fast._kernels_levels import compensated_cumsum
from bonkl_fast._levels import prepare_levels
from bonkl_fast._random import check_random_state, chunk_seeds
from bonkl_fast._validate import as_probs_rewards
from bonkl_fast.sampling import _guide_buckets, sample_best_of_n
from bonkl_fast.simulation import simulate_best_of_n


def _singletons(k: int, seed: int):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(k)), rng.permutation(k).astype(np.float64) / 7.0


def _ties_and_zeros(k: int, seed: int):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(k, 0.5))
    probs[rng.random(k) < 0.2] = 0.0
    probs /= probs.sum()
    return probs, rng.integers(0, k // 3, size=k).astype(np.float64)


def _zeros_only(k: int, seed: int):  # distinct rewards, some outcomes of mass 0
    probs, rewards = _singletons(k, seed)
    probs[::5] = 0.0
    return probs / probs.sum(), rewards


REFERENCES = {
    "ties": ([0.1, 0.15, 0.2, 0.3, 0.25], [2.0, 0.0, 2.0, 1.0, 1.0]),
    "zeros": ([0.4, 0.0, 0.3, 0.0, 0.3], [3.0, 5.0, 1.0, 0.0, 2.0]),
    "zero_mass_top_tie": ([0.5, 0.0, 0.25, 0.25], [1.0, 2.0, 2.0, 0.0]),
    "singletons_sorted": ([0.2, 0.3, 0.5], [0.0, 1.0, 2.0]),
    "singletons_unsorted": _singletons(50, 1),
    "singletons_radix": _singletons(5000, 2),  # >= 4096: the radix sort
    "ties_and_zeros": _ties_and_zeros(3000, 3),
    "zeros_distinct": _zeros_only(400, 4),
    "one_outcome": ([1.0], [3.0]),
    "dominant_top": ([1e-3, 1e-6, 1.0 - 1e-3 - 2e-6, 1e-6], [0.5, 0.0, 1.0, 0.0]),
}


def plain_levels(probs, rewards):
    """Sorted outcomes and their levels the obvious way: a stable argsort, runs of equal
    rewards by np.unique, the levels of positive mass kept; sums from chunk_levels."""
    probs, rewards = as_probs_rewards(probs, rewards)  # validated (probs may be rescaled)
    order = np.argsort(rewards, kind="stable")
    p_sorted, r_sorted = probs[order], rewards[order]
    values, first = np.unique(r_sorted, return_index=True)
    last = np.append(first[1:], r_sorted.size)
    keep = np.array([p_sorted[a:b].sum() > 0 for a, b in zip(first, last, strict=True)])
    start, stop = first[keep], last[keep]
    level_of = np.full(r_sorted.size, -1)
    for level, (a, b) in enumerate(zip(start, stop, strict=True)):
        level_of[a:b] = level
    mass, cum, tail = chunk_levels(r_sorted, p_sorted, 0, r_sorted.size, 0.0, 0.0, 0.0, 0.0)
    return dict(
        order=order,
        probs_sorted=p_sorted,
        rewards_sorted=r_sorted,
        reward=values[keep],
        mass=mass,
        cum=cum,
        tail=tail,
        start=start,
        stop=stop,
        level_of=level_of,
    )


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_levels_match_the_plain_construction(name):
    probs, rewards = REFERENCES[name]
    want = plain_levels(probs, rewards)
    got = prepare_levels(probs, rewards)
    for key in ("probs_sorted", "reward", "mass", "cum", "tail", "start", "stop", "level_of"):
        assert np.array_equal(getattr(got, key), want[key]), key
    assert np.array_equal(
        got.to_original(np.arange(len(probs))[want["order"]]), np.arange(len(probs))
    )
    one_per_level = want["mass"].size == len(probs)
    assert (got.bounds is None) == one_per_level
    sorted_got = prepare_levels(want["probs_sorted"], want["rewards_sorted"], assume_sorted=True)
    for key in ("probs_sorted", "reward", "mass", "cum", "tail", "start", "stop", "level_of"):
        assert np.array_equal(getattr(sorted_got, key), want[key]), key


def test_one_outcome_per_level_stores_nothing_per_outcome():
    """The fast path is taken: no start/stop/level_of stored, probs_sorted is mass,
    and the arrays are not views of the caller's (even with assume_sorted)."""
    probs, rewards = _singletons(1000, 5)
    levels = prepare_levels(probs, rewards)
    assert levels.bounds is None and levels.spans == (None, None)
    assert levels.probs_sorted is levels.mass
    int_arrays = [
        v for v in vars(levels).values() if isinstance(v, np.ndarray) and v.dtype.kind == "i"
    ]
    assert len(int_arrays) == 1 and int_arrays[0] is levels.order  # nothing else per outcome
    assert np.array_equal(levels.start, np.arange(1000))
    assert np.array_equal(levels.stop, np.arange(1, 1001))
    assert np.array_equal(levels.level_of, np.arange(1000))
    order = np.argsort(rewards)
    p_sorted, r_sorted = probs[order], rewards[order]
    presorted = prepare_levels(p_sorted, r_sorted, assume_sorted=True)
    assert presorted.bounds is None
    for array in (presorted.mass, presorted.reward, presorted.cum, presorted.tail):
        assert not np.shares_memory(array, p_sorted) and not np.shares_memory(array, r_sorted)
    assert prepare_levels([0.5, 0.0, 0.5], [0.0, 1.0, 2.0]).bounds is not None  # a zero mass
    assert prepare_levels([0.5, 0.25, 0.25], [0.0, 1.0, 1.0]).bounds is not None  # a tie


def test_sorted_only_levels_refuse_to_map_back():
    levels = prepare_levels([0.5, 0.3, 0.2], [2.0, 0.0, 1.0], keep_order=False)
    assert levels.order is None and levels.given_probs is None and levels.given_rewards is None
    assert np.array_equal(levels.reward, [0.0, 1.0, 2.0])
    with pytest.raises(RuntimeError, match="keep_order=False"):
        levels.to_original(np.zeros(3))
    for name in ("probs", "rewards"):  # the caller-order arrays are gone: no silent None
        with pytest.raises(RuntimeError, match="keep_order=False"):
            getattr(levels, name)


@pytest.mark.parametrize("seed", range(20))
def test_one_outcome_sums_are_those_of_chunk_levels(seed):
    """The fast path's compensated sums are chunk_levels' bit for bit (masses over many
    orders of magnitude, so the compensation matters)."""
    rng = np.random.default_rng(seed)
    probs = np.exp(rng.uniform(-40, 0, size=int(rng.integers(1, 3000))))
    probs /= probs.sum()
    rewards = np.arange(probs.size, dtype=np.float64)
    mass, cum, tail = chunk_levels(rewards, probs, 0, probs.size, 0.0, 0.0, 0.0, 0.0)
    assert np.array_equal(mass, probs)
    assert np.array_equal(compensated_cumsum(probs, False), cum)
    assert np.array_equal(compensated_cumsum(probs, True), tail)


def plain_sampler_arrays(lv, n, direct, simulate):
    """The sampler arrays as built before issue 14: every array materialised, nothing
    overwritten (the kernels are the package's)."""
    empty_f, empty_i = np.empty(0), np.empty(0, dtype=np.int64)
    arrays = dict.fromkeys(ks.SamplerArrays._fields, empty_f)
    arrays.update(
        probs=lv["probs_sorted"],
        level_of=lv["level_of"],
        start=lv["start"],
        stop=lv["stop"],
        level_reward=lv["reward"],
        pick=empty_i,
        bon_guide=empty_i,
        ref_guide=empty_i,
        outcome_guide=empty_i,
        index_map=empty_i,
    )
    if not simulate:
        arrays["index_map"] = lv["order"].astype(np.int64)
    buckets = _guide_buckets(lv["mass"].size)
    if direct:
        outcome_tail = compensated_cumsum(lv["probs_sorted"], True)
        guide = tables.build_guide(outcome_tail, _guide_buckets(lv["probs_sorted"].size))
        arrays.update(outcome_tail=outcome_tail, outcome_guide=guide, rewards=lv["rewards_sorted"])
    else:
        bon_tail = tables.best_of_n_tails(lv["cum"], lv["tail"], float(n), np.empty(lv["cum"].size))
        pick = np.empty(lv["start"].size, dtype=np.int64)
        tables.single_outcomes(lv["probs_sorted"], lv["start"], lv["stop"], pick)
        if (pick < 0).any():
            arrays["within_cum"] = tables.level_cumsums(lv["probs_sorted"], lv["start"], lv["stop"])
        if not simulate:
            tables.map_indices(pick, arrays["index_map"])
        arrays.update(bon_tail=bon_tail, bon_guide=tables.build_guide(bon_tail, buckets), pick=pick)
    if simulate:
        arrays.update(ref_tail=lv["tail"], ref_guide=tables.build_guide(lv["tail"], buckets))
    return ks.SamplerArrays(**arrays)


def seeds_for(rng, n, size, direct):
    return chunk_seeds(check_random_state(rng), chunk_count(size, chunk_len(n, direct))), chunk_len(
        n, direct
    )


CASES = [
    (name, n, method)
    for name in sorted(REFERENCES)
    for n in (1, 7, 10**6)
    for method in ("inverse", "direct")
    if not (method == "direct" and n > 7)
]


@pytest.mark.parametrize(("name", "n", "method"), CASES)
def test_draws_match_the_plain_sampler_arrays(name, n, method):
    probs, rewards = REFERENCES[name]
    direct = method == "direct"
    size = 3000
    seeds, chunk = seeds_for(11, n, size, direct)
    want = np.empty(size, dtype=np.int64)
    ks.sample_chunks(
        seeds,
        chunk,
        want,
        n,
        direct,
        plain_sampler_arrays(plain_levels(probs, rewards), n, direct, False),
    )
    got = sample_best_of_n(probs, rewards, n, size, rng=11, method=method)
    assert np.array_equal(got, want)


def plain_simulation(probs, rewards, n, size, rng, direct):
    """simulate_best_of_n as before issue 14: (estimates, exact values, exact s.e.)."""
    lv = plain_levels(probs, rewards)
    mass, cum, tail, reward = lv["mass"], lv["cum"], lv["tail"], lv["reward"]
    kl, win = exact.kl_and_win_rate(mass, reward, float(n), assume_sorted=True)
    w = kex.level_weights(mass, cum, tail, float(n))
    expected = 0.0
    if n > 1:
        args = (mass, cum, tail, lv["probs_sorted"], lv["start"], lv["stop"])
        expected = estimate_expected_many(*args, np.array([float(n)]))[0]
    values = np.array([kl, win, float(np.dot(w, reward)), expected])
    level_kl = tables.level_log_ratios(mass, cum, tail, float(n))
    if n == 1:
        level_kl[:] = 0.0
    estimate = tables.outcome_estimates(
        lv["probs_sorted"], lv["start"], lv["stop"], cum, tail, float(n)
    )
    seeds, chunk = seeds_for(rng, n, size, direct)
    arrays = plain_sampler_arrays(lv, n, direct, True)
    sums = ks.simulate_chunks(
        seeds, chunk, size, n, direct, arrays, level_kl, estimate, values
    ).sum(axis=0)
    mean = values + sums[:4] / size
    se = np.sqrt(np.maximum(sums[4:] - sums[:4] ** 2 / size, 0.0) / (size - 1) / size)
    below = np.concatenate(([0.0], cum[:-1]))  # the per-draw variances, term by term
    m = below + mass / 2
    within = below * (tail + mass / 2) ** 2 + mass * (0.5 - m) ** 2 + tail * m**2
    has = lv["level_of"] >= 0
    scale = (w / mass)[lv["level_of"][has]] * lv["probs_sorted"][has]
    var = [
        math.fsum(w * (level_kl - values[0]) ** 2),
        math.fsum(w * (within + (m - values[1]) ** 2)),
        math.fsum(w * (reward - values[2]) ** 2),
        math.fsum(scale * (estimate[has] - values[3]) ** 2),
    ]
    return mean, se, values, np.sqrt(var) / math.sqrt(size)


@pytest.mark.parametrize(("name", "n", "method"), CASES)
def test_simulation_matches_the_plain_path(name, n, method):
    probs, rewards = REFERENCES[name]
    mean, se, values, se_exact = plain_simulation(probs, rewards, n, 2000, 5, method == "direct")
    res = simulate_best_of_n(probs, rewards, n, 2000, rng=5, method=method)
    names = ("kl", "win_rate", "mean_reward", "kl_estimate")
    exact_names = ("kl_exact", "win_rate_exact", "mean_reward_exact", "kl_estimate_expected")
    assert [getattr(res, k) for k in names] == mean.tolist()  # bit for bit
    assert [getattr(res, k + "_se") for k in names] == se.tolist()
    assert [getattr(res, k) for k in exact_names] == values.tolist()
    # exact s.e.: now compensated sums in one pass (were np.dot over temporaries), so
    # they agree with the correctly rounded fsum to rounding, not bit for bit
    got = np.array([getattr(res, k + "_se_exact") for k in names])
    assert np.allclose(got, se_exact, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("kind", ["array", "series", "list"])
def test_reference_never_views_the_callers_probs(kind, normalize):
    """Reference keeps the validated probs when validation copied them (a list, a
    rescaled sum), and copies them when they are still the caller's memory."""
    import pandas as pd

    from bonkl_fast.reference import Reference

    values = np.array([0.5, 0.25, 0.25]) * (2.0 if normalize else 1.0)
    probs = {"array": values, "series": pd.Series(values), "list": values.tolist()}[kind]
    ref = Reference(probs, [2.0, 0.0, 1.0], normalize=normalize)
    before = (ref.probs.copy(), ref.pmf(3), ref.kl(3))
    if kind != "list":
        assert not np.shares_memory(ref.probs, np.asarray(probs))
        probs[0] = 0.0  # the caller changes its array: the Reference does not change
    assert np.array_equal(ref.probs, before[0]) and np.array_equal(ref.pmf(3), before[1])
    assert ref.kl(3) == before[2]
