"""Edge cases found in review: each once gave NaN or an unhelpful error."""

from __future__ import annotations

import numpy as np
import pytest

import bonkl_fast as bk


@pytest.mark.parametrize(
    "probs, rewards, beta",
    [([0.5, 0.5], [0.0, 1e200], 1e200), ([0.5, 0.25, 0.25], [0.0, 1.0, 1e10], 1e300)],
)
def test_reward_tilt_overflowing_beta_is_the_top_level_limit(probs, rewards, beta):
    pmf = bk.reward_tilt(probs, rewards, beta)
    expected = np.zeros(len(probs))
    expected[-1] = 1.0
    np.testing.assert_array_equal(pmf, expected)


def test_kl_estimate_shape_mismatch_names_both_arguments():
    with pytest.raises(ValueError, match=r"eps \(shape \(3,\)\) and n \(shape \(2,\)\)"):
        bk.kl_estimate([0.5, 0.4, 0.3], [2, 3])


def test_bank_mixed_type_group_ids_stay_distinct():
    curves = bk.bank_curves([1.0, 2.0, 3.0, 4.0], groups=[1, "1", 1, "1"])
    assert curves.groups.tolist() == [1, "1"]
    assert curves.n_samples.tolist() == [2, 2]


@pytest.mark.parametrize("missing", [float("nan"), None])
def test_bank_missing_group_id_raises(missing):
    with pytest.raises(ValueError, match="missing id"):
        bk.bank_curves([1.0, 2.0, 3.0, 4.0], groups=["a", missing, "a", "b"])
    ids = np.array(["a", missing, "a", "b"], dtype=object)
    with pytest.raises(ValueError, match="missing id"):
        bk.bank_curves([1.0, 2.0, 3.0, 4.0], groups=ids)


@pytest.mark.parametrize(
    "suffix, text",
    [
        (".csv", "prompt_id,reward,logprob\na,1,-1\na,2,-1\n"),
        (
            ".jsonl",
            '{"prompt_id": "a", "reward": 1, "logprob": -1}\n'
            '{"prompt_id": "a", "reward": 2, "logprob": -1}\n',
        ),
    ],
)
def test_read_bank_accepts_a_utf8_byte_order_mark(tmp_path, suffix, text):
    path = tmp_path / f"bank{suffix}"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    bank = bk.read_bank(path, reward="reward", logprob="logprob", group="prompt_id")
    assert bank.curves().expected_reward.tolist() == [[1.5, 2.0]]


def test_integer_n_above_2_53_is_refused_not_rounded():
    with pytest.raises(ValueError, match="2\\*\\*53"):
        bk.sample_best_of_n([0.5, 0.5], [0.0, 1.0], 2**53 + 1, 4, rng=0)
    assert bk.sample_best_of_n([0.5, 0.5], [0.0, 1.0], 2**53, 4, rng=0).tolist() == [1, 1, 1, 1]
