"""Draws of ``sample_best_of_n`` equal the literal procedure, draw for draw (MATH §6).

The reference below is plain Python: SplitMix64 on Python integers, one seed per
chunk drawn from the same generator, and each draw done as the docstrings of
:mod:`bonkl_fast._kernels_sampling` say, on thresholds summed with ``math.fsum``.
It pins the exact draw sequence for a seed, so a refactoring of the draw step
or of the sampler tables cannot change what users get for the same ``rng``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bonkl_fast import sample_best_of_n
from bonkl_fast._chunks import chunk_count, chunk_len
from bonkl_fast._random import chunk_seeds

MASK = (1 << 64) - 1


def splitmix64(state: int) -> tuple[int, float]:
    """(new state, uniform on [0, 1) from the top 53 bits)."""
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    z ^= z >> 31
    return state, (z >> 11) * 2.0**-53


def chunk_states(seed: int, n: int, size: int, direct: bool):
    """The seed of each draw's chunk, as sample_best_of_n draws them from ``rng=seed``."""
    per_chunk = chunk_len(n, direct)
    seeds = chunk_seeds(np.random.default_rng(seed), chunk_count(size, per_chunk))
    return [int(s) for s in seeds], per_chunk


def literal_inverse(probs, rewards, n, size, seed):
    """Level: the lowest with 1 - F**n <= u; in a level of several outcomes of positive
    probability, the first (in input order) whose running sum exceeds u2 * level mass."""
    values = sorted(set(rewards))
    members = [[i for i in range(len(probs)) if rewards[i] == v] for v in values]
    cum = [math.fsum(probs[i] for m in members[: k + 1] for i in m) for k in range(len(values))]
    tails = [1.0 - c**n if c < 1.0 else 0.0 for c in cum]
    tails[-1] = 0.0
    seeds, per_chunk = chunk_states(seed, n, size, False)
    out = []
    for chunk, state in enumerate(seeds):
        for _ in range(min(per_chunk, size - chunk * per_chunk)):
            state, u = splitmix64(state)
            level = next(k for k, t in enumerate(tails) if t <= u)
            positive = [i for i in members[level] if probs[i] > 0.0]
            if len(positive) == 1:
                out.append(positive[0])
                continue
            state, u = splitmix64(state)
            running = np.cumsum([probs[i] for i in members[level]])
            target = u * running[-1]
            pick = next((j for j, c in enumerate(running) if c > target), len(running) - 1)
            while probs[members[level][pick]] == 0.0:
                pick -= 1
            out.append(members[level][pick])
    return np.array(out)


def literal_direct(probs, rewards, n, size, seed):
    """n reference draws by inverse CDF (outcomes sorted by reward, stable), the highest
    reward kept, ties broken by a reservoir (the k-th tied draw wins with probability 1/k)."""
    order = sorted(range(len(probs)), key=lambda i: rewards[i])
    above = [math.fsum(probs[j] for j in order[k + 1 :]) for k in range(len(order))]
    seeds, per_chunk = chunk_states(seed, n, size, True)
    out = []
    for chunk, state in enumerate(seeds):
        for _ in range(min(per_chunk, size - chunk * per_chunk)):
            best, pick, ties = -math.inf, 0, 0
            for _ in range(n):
                state, u = splitmix64(state)
                i = order[next(k for k, a in enumerate(above) if a <= u)]
                if rewards[i] > best:
                    best, pick, ties = rewards[i], i, 1
                elif rewards[i] == best:
                    ties += 1
                    state, u = splitmix64(state)
                    if u * ties < 1.0:
                        pick = i
            out.append(pick)
    return np.array(out)


# unsorted input; tied rewards; outcomes of probability 0 inside tied levels and alone
PROBS = [0.125, 0.0, 0.25, 0.0625, 0.0, 0.1875, 0.25, 0.125]
REWARDS = [2.0, 2.0, 0.0, 2.0, 5.0, 1.0, 3.0, 0.0]


@pytest.mark.parametrize("n", [1, 2, 7, 1000])
def test_inverse_draws_are_the_literal_procedure(n):
    draws = sample_best_of_n(PROBS, REWARDS, n, 3000, rng=n)
    np.testing.assert_array_equal(draws, literal_inverse(PROBS, REWARDS, n, 3000, n))


def test_inverse_draws_over_two_chunks():
    size = chunk_len(3, False) + 500
    draws = sample_best_of_n(PROBS, REWARDS, 3, size, rng=11)
    np.testing.assert_array_equal(draws, literal_inverse(PROBS, REWARDS, 3, size, 11))


@pytest.mark.parametrize("n", [1, 3])
def test_direct_draws_are_the_literal_procedure(n):
    draws = sample_best_of_n(PROBS, REWARDS, n, 2000, rng=20 + n, method="direct")
    np.testing.assert_array_equal(draws, literal_direct(PROBS, REWARDS, n, 2000, 20 + n))
