"""Monte Carlo best-of-n (issue 3): goodness of fit, reproducibility, simulation vs exact.

Statistical tests use fixed seeds, so each either passes or fails deterministically; a
p-value threshold of 1e-3 with 2e5 draws detects a pmf error of about 1% on a 10% outcome.
"""

from __future__ import annotations

import io

import numba
import numpy as np
import pytest
from scipy import stats

from bonkl_fast import _chunks, _progress
from bonkl_fast._random import check_random_state, chunk_seeds
from bonkl_fast.exact import bon_pmf
from bonkl_fast.sampling import sample_best_of_n
from bonkl_fast.simulation import SimulationResult, simulate_best_of_n

# name -> (probs, rewards); rewards deliberately unsorted
REFERENCES = {
    # two tied levels; argmax-first tie-breaking would never return outcome 2 or 4
    "ties": ([0.1, 0.15, 0.2, 0.3, 0.25], [2.0, 0.0, 2.0, 1.0, 1.0]),
    # zero-probability outcomes, one of them at the highest reward
    "zeros": ([0.4, 0.0, 0.3, 0.0, 0.3], [3.0, 5.0, 1.0, 0.0, 2.0]),
    # dominant bottom outcome, tiny top outcome: top wins with prob 1 - e^-1 at n = 1e9
    "dominant_tiny_top": ([1e-4, 1.0 - 1e-4 - 1e-9, 1e-9], [1.0, 0.0, 2.0]),
    # the reverse: dominant top outcome, tiny others, a tie between them
    "dominant_top": ([1e-3, 1e-6, 1.0 - 1e-3 - 2e-6, 1e-6], [0.5, 0.0, 1.0, 0.0]),
}
NS = [1, 2, 7, 1000, 10**9]
DRAWS = 200_000
ALPHA = 1e-3


@pytest.fixture(scope="module", autouse=True)
def warm_sampling_kernels():
    """Compile (or load from cache) the sampling kernels once, for both methods."""
    p, r = [0.25, 0.25, 0.5], [0.0, 1.0, 1.0]
    for method in ("inverse", "direct"):
        sample_best_of_n(p, r, 3, 10, rng=0, method=method)
        simulate_best_of_n(p, r, 3, 10, rng=0, method=method)


def pooled_counts(draws: np.ndarray, pmf: np.ndarray):
    """Observed and expected counts, small expected counts (< 5) pooled into one bin."""
    counts = np.bincount(draws.ravel(), minlength=pmf.size)
    assert counts[pmf == 0].sum() == 0, "drew an outcome of best-of-n probability 0"
    expected = pmf / pmf.sum() * draws.size
    big = expected >= 5
    obs, exp = list(counts[big]), list(expected[big])
    if (~big).any():
        small_obs, small_exp = counts[~big].sum(), expected[~big].sum()
        if small_exp >= 5 or not exp:
            obs.append(small_obs)
            exp.append(small_exp)
        else:  # pool the remainder into the smallest big bin
            k = int(np.argmin(exp))
            obs[k] += small_obs
            exp[k] += small_exp
    return np.array(obs), np.array(exp)


def goodness_of_fit(draws: np.ndarray, pmf: np.ndarray) -> float:
    obs, exp = pooled_counts(draws, pmf)
    if obs.size == 1:  # one possible bin: every draw must be in it
        assert obs[0] == draws.size
        return 1.0
    return float(stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue)


@pytest.mark.parametrize("n", NS)
@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_inverse_matches_bon_pmf(name, n):
    probs, rewards = REFERENCES[name]
    draws = sample_best_of_n(probs, rewards, n, DRAWS, rng=1000 + n)
    assert draws.dtype == np.int64 and draws.shape == (DRAWS,)
    assert goodness_of_fit(draws, bon_pmf(probs, rewards, n)) > ALPHA


@pytest.mark.parametrize("n", [1, 2, 7])
@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_direct_matches_bon_pmf(name, n):
    probs, rewards = REFERENCES[name]
    draws = sample_best_of_n(probs, rewards, n, 100_000, rng=2000 + n, method="direct")
    assert goodness_of_fit(draws, bon_pmf(probs, rewards, n)) > ALPHA


def test_direct_at_n_1000_matches_bon_pmf():
    probs, rewards = REFERENCES["dominant_tiny_top"]
    draws = sample_best_of_n(probs, rewards, 1000, 20_000, rng=5, method="direct")
    assert goodness_of_fit(draws, bon_pmf(probs, rewards, 1000)) > ALPHA


@pytest.mark.parametrize("name", ["ties", "zeros"])
def test_direct_and_inverse_agree(name):
    """Two-sample chi-square (contingency table) between the two methods, n = 7."""
    probs, rewards = REFERENCES[name]
    a = np.bincount(sample_best_of_n(probs, rewards, 7, 100_000, rng=31), minlength=len(probs))
    b = np.bincount(
        sample_best_of_n(probs, rewards, 7, 100_000, rng=32, method="direct"), minlength=len(probs)
    )
    keep = (a + b) > 0
    assert keep.sum() >= 3
    assert stats.chi2_contingency(np.array([a[keep], b[keep]])).pvalue > ALPHA


def test_chi_square_detects_lowest_index_tie_breaking():
    """The goodness-of-fit check has power: keeping the lowest outcome index among tied
    draws (argmax over the outcome list) fails it on the ties reference."""
    probs, rewards = map(np.asarray, REFERENCES["ties"])
    rng = np.random.default_rng(3)
    picks = rng.choice(len(probs), size=(DRAWS, 7), p=probs)
    key = rewards[picks] * len(probs) - picks  # integer rewards: reward first, then low index
    naive = picks[np.arange(DRAWS), key.argmax(axis=1)]
    assert goodness_of_fit(naive, bon_pmf(probs, rewards, 7)) < 1e-10


def test_hand_values_for_extreme_n():
    # binary uniform at n = 10**12: the top outcome unless all draws are the bottom one
    assert (sample_best_of_n([0.5, 0.5], [0.0, 1.0], 10**12, 1000, rng=0) == 1).all()
    # one outcome of positive mass among zeros
    assert (sample_best_of_n([0.0, 1.0, 0.0], [3.0, 1.0, 2.0], 5, 1000, rng=0) == 1).all()
    # n = 1 is the reference itself
    draws = sample_best_of_n([0.2, 0.8], [1.0, 0.0], 1, DRAWS, rng=4)
    assert goodness_of_fit(draws, np.array([0.2, 0.8])) > ALPHA


def test_n_up_to_1e15_with_tiny_top_mass():
    """P(top) = 1 - (1 - 1e-15)^(1e15) = 1 - 1/e: only exact tail arithmetic gets this."""
    probs, rewards = [1.0 - 1e-15, 1e-15], [0.0, 1.0]
    draws = sample_best_of_n(probs, rewards, 10**15, DRAWS, rng=6)
    assert goodness_of_fit(draws, np.array([np.exp(-1.0), -np.expm1(-1.0)])) > ALPHA


def test_size_shapes():
    p, r = [0.5, 0.5], [0.0, 1.0]
    assert sample_best_of_n(p, r, 3, (2, 3), rng=0).shape == (2, 3)
    assert sample_best_of_n(p, r, 3, 0, rng=0).shape == (0,)
    assert sample_best_of_n(p, r, 3, (4, 0), rng=0).shape == (4, 0)
    assert sample_best_of_n(p, r, 3, np.int64(5), rng=0).shape == (5,)
    assert sample_best_of_n(p, r, 3, (), rng=0).shape == ()


def test_float32_and_normalize():
    p32 = np.array([0.2, 0.3, 0.5], dtype=np.float32)
    r = [3.0, 1.0, 2.0]
    a = sample_best_of_n(p32, r, 4, 1000, rng=9)
    b = sample_best_of_n(p32.astype(np.float64) / p32.astype(np.float64).sum(), r, 4, 1000, rng=9)
    assert np.array_equal(a, b)
    c = sample_best_of_n([2.0, 3.0, 5.0], r, 4, 1000, rng=9, normalize=True)
    assert np.array_equal(c, sample_best_of_n([0.2, 0.3, 0.5], r, 4, 1000, rng=9))


# --- reproducibility -------------------------------------------------------------------

SEVERAL_CHUNKS = 3 * _chunks.CHUNK_LEN + 17


@pytest.mark.parametrize("method", ["inverse", "direct"])
def test_seeded_reproducibility(method):
    p, r = REFERENCES["ties"]
    a = sample_best_of_n(p, r, 7, 5000, rng=42, method=method)
    assert np.array_equal(a, sample_best_of_n(p, r, 7, 5000, rng=42, method=method))
    assert np.array_equal(
        a, sample_best_of_n(p, r, 7, 5000, rng=np.random.default_rng(42), method=method)
    )
    assert not np.array_equal(a, sample_best_of_n(p, r, 7, 5000, rng=43, method=method))
    gen = np.random.default_rng(42)
    first = sample_best_of_n(p, r, 7, 5000, rng=gen, method=method)
    assert not np.array_equal(first, sample_best_of_n(p, r, 7, 5000, rng=gen, method=method))


def test_permuting_outcomes_keeps_the_level_sequence():
    """Permuting the outcomes permutes the draws' labels, not their law (same seed, same levels)."""
    p, r = map(np.asarray, REFERENCES["ties"])
    perm = np.array([3, 0, 4, 2, 1])
    a = sample_best_of_n(p, r, 5, 10_000, rng=8)
    b = sample_best_of_n(p[perm], r[perm], 5, 10_000, rng=8)
    assert np.array_equal(r[a], r[perm][b])  # same level sequence


@pytest.fixture
def restore_threads():
    before = numba.get_num_threads()
    yield
    numba.set_num_threads(before)


@pytest.mark.parametrize("method", ["inverse", "direct"])
def test_serial_and_parallel_draws_are_identical(method, restore_threads):
    p, r = REFERENCES["zeros"]
    size = SEVERAL_CHUNKS if method == "inverse" else 3 * _chunks.chunk_len(3, True) + 5
    numba.set_num_threads(1)
    serial = sample_best_of_n(p, r, 3, size, rng=11, method=method)
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    parallel = sample_best_of_n(p, r, 3, size, rng=11, method=method)
    assert np.array_equal(serial, parallel)


def test_serial_and_parallel_simulation_identical(restore_threads):
    p, r = REFERENCES["ties"]
    numba.set_num_threads(1)
    serial = simulate_best_of_n(p, r, 7, SEVERAL_CHUNKS, rng=12)
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    assert simulate_best_of_n(p, r, 7, SEVERAL_CHUNKS, rng=12) == serial


def test_progress_batches_give_the_same_result(monkeypatch, capsys):
    p, r = REFERENCES["ties"]
    plain = simulate_best_of_n(p, r, 7, SEVERAL_CHUNKS, rng=13)
    from bonkl_fast import _kernels_sampling as ks

    calls = []
    kernel = ks.simulate_chunks
    monkeypatch.setattr(ks, "simulate_chunks", lambda *a: calls.append(1) or kernel(*a))
    monkeypatch.setattr(_chunks, "BATCH_WORK", _chunks.CHUNK_LEN)  # batches of few chunks
    assert simulate_best_of_n(p, r, 7, SEVERAL_CHUNKS, rng=13, progress=True) == plain
    assert len(calls) >= 2  # the work really ran in several batches
    assert capsys.readouterr().err == ""  # short run: no progress output


@pytest.mark.parametrize("method", ["inverse", "direct"])
def test_long_runs_go_in_batches_with_the_same_draws(monkeypatch, method):
    """Every run returns to Python between batches of chunks (Ctrl-C), draws unchanged."""
    p, r = REFERENCES["ties"]
    size = SEVERAL_CHUNKS if method == "inverse" else 3 * _chunks.chunk_len(3, True) + 5
    one_batch = sample_best_of_n(p, r, 3, size, rng=14, method=method)
    from bonkl_fast import _kernels_sampling as ks

    calls = []
    kernel = ks.sample_chunks
    monkeypatch.setattr(ks, "sample_chunks", lambda *a: calls.append(1) or kernel(*a))
    monkeypatch.setattr(_chunks, "BATCH_WORK", _chunks.CHUNK_LEN)  # batches of few chunks
    assert np.array_equal(sample_best_of_n(p, r, 3, size, rng=14, method=method), one_batch)
    assert len(calls) >= 2


def test_direct_cap_allows_the_cap_itself():
    from bonkl_fast.sampling import MAX_DIRECT_DRAWS

    draws = sample_best_of_n(
        [0.5, 0.5], [0.0, 1.0], MAX_DIRECT_DRAWS // 2, 2, rng=0, method="direct"
    )
    assert draws.tolist() == [1, 1]  # outcome 0 would need 2**27 zeros in a row
    with pytest.raises(ValueError, match="n x size"):
        sample_best_of_n([0.5, 0.5], [0.0, 1.0], MAX_DIRECT_DRAWS // 2, 3, method="direct")


def test_simulation_uses_reward_values_so_refuses_what_float64_merges():
    """Sampling needs only the order of rewards; the mean reward needs their values."""
    rewards = np.array([2**53, 2**53 + 1, 0], dtype=np.int64)
    draws = sample_best_of_n([0.5, 0.3, 0.2], rewards, 4, 1000, rng=0)
    assert (draws == 1).mean() > 0.5  # the top outcome 2**53 + 1 is kept distinct
    with pytest.raises(ValueError, match="float64"):
        simulate_best_of_n([0.5, 0.3, 0.2], rewards, 4, 1000, rng=0)


def test_progress_reporter_writes_when_asked():
    stream = io.StringIO()
    bar = _progress.Progress(total=1000, label="draws", delay=0.0, stream=stream)
    bar.update(500)
    bar.update(1000)
    bar.close()
    text = stream.getvalue()
    assert "50.0%" in text and "100.0%" in text and "1,000/1,000" in text


# --- simulation vs exact ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name, n, method",
    [(name, n, "inverse") for name in sorted(REFERENCES) for n in (1, 2, 7, 1000, 10**9)]
    + [(name, n, "direct") for name in ("ties", "zeros", "dominant_top") for n in (2, 7)],
)
def test_simulation_within_four_standard_errors(name, n, method):
    probs, rewards = REFERENCES[name]
    # dominant_top at n = 2: the lower levels (best-of-n mass ~1e-6) shift the exact KL by
    # 7e-6, but 1e5 draws almost never see them and the sample standard error is then ~0:
    # a rare-event case the z-score cannot judge. 2e7 draws see them about 20 times.
    size = 20_000_000 if (name, n) == ("dominant_top", 2) else 100_000
    result = simulate_best_of_n(probs, rewards, n, size, rng=500 + n, method=method)
    assert isinstance(result, SimulationResult)
    assert result.n == n and result.size == size and result.method == method
    for quantity, z in result.z_scores().items():
        assert abs(z) < 4, (quantity, z, result)
    assert result.kl_exact <= result.kl_bound + 1e-12


def test_simulation_exact_values_come_from_the_core():
    import bonkl_fast.exact as ex

    p, r = REFERENCES["ties"]
    res = simulate_best_of_n(p, r, 7, 1000, rng=0)
    assert res.kl_exact == pytest.approx(ex.kl_exact(p, r, 7), rel=1e-14)
    assert res.win_rate_exact == pytest.approx(ex.win_rate(p, r, 7), rel=1e-14)
    assert res.mean_reward_exact == pytest.approx(float(np.dot(ex.bon_pmf(p, r, 7), r)), rel=1e-13)
    assert res.kl_estimate_expected == pytest.approx(ex.kl_estimate_expected(p, r, 7), rel=1e-14)
    assert res.kl_bound == pytest.approx(ex.kl_bound(7), rel=1e-15)


def test_per_outcome_estimates_match_the_public_estimator():
    """The values the simulation averages: kl_estimate(pi(y), n) per outcome (0 where pi = 0)."""
    from bonkl_fast import _kernels_sampler_tables as tables
    from bonkl_fast._levels import prepare_levels
    from bonkl_fast.exact import kl_estimate

    probs = np.array([0.0, 0.1, 0.6, 0.05, 0.25])
    rewards = np.array([3.0, 1.0, 2.0, 2.0, 0.0])  # 0.6 tied with 0.05 and a zero mass
    levels = prepare_levels(probs, rewards)
    for n in (1, 2, 7, 10**6):
        got = tables.outcome_estimates(
            levels.probs_sorted, levels.start, levels.stop, levels.cum, levels.tail, float(n)
        )
        got = levels.to_original(got)
        positive = probs > 0
        assert np.all(got[~positive] == 0.0)
        assert np.allclose(got[positive], kl_estimate(probs[positive], n), rtol=1e-14, atol=0)


def test_simulation_uniform_hand_values():
    """Uniform over 2 at n = 2: KL 0.1308..., W = 5/8 (MATH §9); z-scores small."""
    res = simulate_best_of_n([0.5, 0.5], [0.0, 1.0], 2, 400_000, rng=21)
    assert res.kl_exact == pytest.approx(0.130812035941137, rel=1e-12)
    assert res.win_rate_exact == pytest.approx(0.625, rel=1e-14)
    # per-draw KL values are log(1/2) or log(3/2): the estimate is a known mixture
    assert abs(res.kl - res.kl_exact) < 4 * res.kl_se


def test_result_text_and_dict():
    res = simulate_best_of_n([0.5, 0.3, 0.2], [1.0, 2.0, 3.0], 4, 1000, rng=0)
    text = str(res)
    assert "n = 4" in text and "KL (nats)" in text and "win rate" in text and "folklore" in text
    d = res.to_dict()
    assert (
        d["n"] == 4
        and d["size"] == 1000
        and set(d["z"]) == {"kl", "win_rate", "mean_reward", "kl_estimate"}
    )
    with pytest.raises(AttributeError):
        res.kl = 0.0  # frozen


# --- invalid arguments ----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n": 0}, ValueError, ">= 1"),
        ({"n": 2.5}, ValueError, "integer"),
        ({"n": True}, TypeError, "boolean"),
        ({"n": "3"}, TypeError, "integer"),
        ({"n": [2, 3]}, TypeError, "single integer"),
        ({"n": float("nan")}, ValueError, "finite"),
        ({"size": -1}, ValueError, "non-negative"),
        ({"size": 1.5}, TypeError, "size"),
        ({"size": 1e6}, TypeError, "10\\*\\*6"),
        ({"size": (2, -1)}, ValueError, "non-negative"),
        ({"size": "10"}, TypeError, "size"),
        ({"size": True}, TypeError, "size"),
        ({"method": "fast"}, ValueError, "'inverse' or 'direct'"),
        ({"rng": "seed"}, TypeError, "Generator"),
        ({"rng": np.random.RandomState(0)}, TypeError, "default_rng"),
        ({"rng": 1.5}, TypeError, "Generator"),
        ({"rng": -1}, ValueError, "non-negative"),
        ({"probs": [0.5, 0.4]}, ValueError, "normalize=True"),
        ({"probs": [0.5, np.nan]}, ValueError, "finite"),
        ({"probs": [1.5, -0.5]}, ValueError, "non-negative"),
        ({"rewards": [0.0, 1.0, 2.0]}, ValueError, "3 entries"),
        ({"probs": []}, ValueError, "empty"),
        ({"method": "direct", "n": 2**53}, ValueError, "method='inverse'"),  # hours, no Ctrl-C
        ({"method": "direct", "n": 2**20, "size": 2**9}, ValueError, "n x size"),
    ],
)
@pytest.mark.parametrize("function", [sample_best_of_n, simulate_best_of_n])
def test_invalid_arguments_raise(function, kwargs, error, match):
    args = {"probs": [0.5, 0.5], "rewards": [0.0, 1.0], "n": 3, "size": 10, "rng": 0}
    args.update(kwargs)
    if "probs" in kwargs and "rewards" not in kwargs:
        args["rewards"] = list(range(len(args["probs"])))
    with pytest.raises(error, match=match):
        function(args.pop("probs"), args.pop("rewards"), args.pop("n"), args.pop("size"), **args)


def test_simulation_needs_two_draws():
    with pytest.raises(ValueError, match="at least 2"):
        simulate_best_of_n([0.5, 0.5], [0.0, 1.0], 3, 1, rng=0)


def test_check_random_state_and_seeds():
    gen = np.random.default_rng(1)
    assert check_random_state(gen) is gen
    assert isinstance(check_random_state(None), np.random.Generator)
    assert check_random_state(np.int64(5)).integers(1 << 30) == np.random.default_rng(5).integers(
        1 << 30
    )
    seeds = chunk_seeds(np.random.default_rng(0), 1000)
    assert seeds.dtype == np.uint64 and np.unique(seeds).size == 1000
    assert seeds.max() > np.uint64(1) << np.uint64(63)  # the full 64-bit range is used


# --- kernels against plain references ----------------------------------------------------


def test_guided_tail_search_matches_searchsorted():
    from bonkl_fast import _kernels_sampler_tables as tables
    from bonkl_fast import _kernels_sampling as ks

    rng = np.random.default_rng(14)
    tails = np.concatenate([np.sort(rng.random(100_000))[::-1], [0.0]])
    tails[10:20] = tails[10]  # runs of equal thresholds
    for buckets in (1, 2**10, 2**17):  # fewer and more buckets than levels
        guide = tables.build_guide(tails, buckets)
        us = np.concatenate([rng.random(2000), tails[::997], [0.0, 1.0 - 2.0**-53]])
        expected = np.searchsorted(-tails, -us, side="left")  # lowest l with tails[l] <= u
        got = np.array([ks.tail_search(tails, guide, u) for u in us])
        assert np.array_equal(got, expected), buckets


def test_inverse_cdf_never_returns_zero_probability_outcomes():
    from bonkl_fast import _kernels_sampling as ks

    probs = np.array([0.0, 0.25, 0.0, 0.75, 0.0, 0.0])
    cum = np.cumsum(probs)
    top_u = 1.0 - 2.0**-53
    picks = {ks.search_cumulative(cum, probs, 0, probs.size, u) for u in (0.0, 0.25, 0.2499, top_u)}
    assert picks == {1, 3}
    assert ks.search_cumulative(cum, probs, 0, probs.size, top_u) == 3
    assert ks.search_cumulative(cum, probs, 0, 3, top_u) == 1  # a range ending in zeros


def test_many_levels_with_ties_match_bon_pmf():
    """K = 3000 outcomes in 300 tied levels (guide buckets over many levels), n = 20."""
    rng = np.random.default_rng(15)
    probs = rng.dirichlet(np.full(3000, 0.5))
    rewards = rng.integers(0, 300, size=3000).astype(float)
    draws = sample_best_of_n(probs, rewards, 20, 400_000, rng=16)
    pmf = bon_pmf(probs, rewards, 20)
    # compare per reward level (enough counts per bin), then within the top levels per outcome
    level_of = np.unique(rewards, return_inverse=True)[1]
    level_pmf = np.bincount(level_of, weights=pmf)
    assert goodness_of_fit(level_of[draws], level_pmf) > ALPHA
    assert goodness_of_fit(draws, pmf) > ALPHA


def test_progress_reports_named_stages_when_verbose():
    """The same reporter serves the CLI's stages: ``[k/N] what``, one line each when verbose,
    nothing on a pipe otherwise."""
    stream = io.StringIO()
    report = _progress.Progress(2, "", delay=0.0, stream=stream, verbose=True)
    report.stage("computing")
    report.stage("writing")
    assert stream.getvalue() == "[1/2] computing\n[2/2] writing\n"
    quiet = io.StringIO()
    _progress.Progress(2, "", delay=0.0, stream=quiet).stage("computing")
    assert quiet.getvalue() == ""
