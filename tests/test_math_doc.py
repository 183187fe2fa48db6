"""docs/MATH.md: every "MATH §N" cited in the code has its section; §9's values are right.

The reference values of MATH §9 are recomputed here at 60 digits with mpmath
straight from the definitions (``w = F**n - G**n`` with exact level sums, the
estimator's closed form, brute-force enumeration of bank subsets), compared
with the table to the digits it prints, and the package is checked against them.
"""

from __future__ import annotations

import itertools
import math
import re
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest
from mpmath import mp, mpf

import bonkl_fast as bk

ROOT = Path(__file__).resolve().parents[1]
MATH_DOC = ROOT / "docs" / "MATH.md"
CITING = [ROOT / "README.md", *sorted((ROOT / "src").rglob("*.py"))]
CITING += sorted((ROOT / "tests").glob("*.py")) + sorted((ROOT / "bench").glob("*.py"))
CITING.remove(Path(__file__).resolve())  # its parser test quotes citations of §10-11

_SECTION = r"§\s*\d+(?:\s*[-–]\s*§?\s*\d+)?"
CITATION = re.compile(rf"MATH\s+({_SECTION}(?:\s*(?:,|/|and)\s*{_SECTION})*)")
ITEM = re.compile(r"§\s*(\d+)(?:\s*[-–]\s*§?\s*(\d+))?")
HEADING = re.compile(r"^## (\d+)\. (.+)$", re.MULTILINE)
PACKAGE_REL = 1e-13


def _doc() -> str:
    return MATH_DOC.read_text(encoding="utf-8")


def _headings() -> list[tuple[int, str]]:
    return [(int(num), title.strip()) for num, title in HEADING.findall(_doc())]


def cited_sections(text: str):
    """(line number, section) for every section a "MATH §..." citation names."""
    for match in CITATION.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        for item in ITEM.finditer(match.group(1)):
            first = int(item.group(1))
            last = int(item.group(2)) if item.group(2) else first
            for section in range(first, last + 1):
                yield line, section


def test_citation_parser():
    text = "a (MATH §2, §4) b\nMATH §1-5 and MATH §3/§5; MATH §10–11, MATH §7 and §8"
    assert list(cited_sections(text)) == [
        (1, 2), (1, 4), (2, 1), (2, 2), (2, 3), (2, 4), (2, 5), (2, 3), (2, 5),
        (2, 10), (2, 11), (2, 7), (2, 8),
    ]  # fmt: skip


def test_every_cited_section_has_a_heading():
    present = {num for num, _ in _headings()}
    missing = []
    for path in CITING:
        for line, section in cited_sections(path.read_text(encoding="utf-8")):
            if section not in present:
                missing.append(f"{path.relative_to(ROOT)}:{line} cites MATH §{section}")
    assert not missing, "docs/MATH.md has no '## N.' heading for: " + "; ".join(missing)


def _in_src(path: Path) -> bool:
    return path.relative_to(ROOT).parts[0] == "src"


def test_src_cites_math_and_not_an_outside_spec():
    cited = [p for p in CITING if _in_src(p) and list(cited_sections(p.read_text()))]
    assert len(cited) >= 10  # the parser still finds the docstrings' citations
    for path in [ROOT / "README.md", *filter(_in_src, CITING)]:
        text = " ".join(path.read_text(encoding="utf-8").split())
        assert "shared specification" not in text, f"{path.relative_to(ROOT)} points outside"
    assert "docs/MATH.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_headings_numbered_in_order_and_listed_in_the_intro():
    headings = _headings()
    assert [num for num, _ in headings] == list(range(1, len(headings) + 1))
    assert len(headings) >= 9
    intro = _doc().split("\n## ", 1)[0]
    paragraph = next(p for p in intro.split("\n\n") if p.startswith("Sections:"))
    listed = " ".join(paragraph.split())
    position = 0
    for num, title in headings:
        entry = f"§{num} {title}"
        found = listed.find(entry, position)
        assert found >= 0, f"the intro's 'Sections:' line does not list {entry!r} (in order)"
        position = found + len(entry)


# ----------------------------------------------------------------- §9 reference values


def _section_9() -> str:
    doc = _doc()
    start = doc.index("\n## 9.")
    end = doc.find("\n## ", start + 1)
    return doc[start : end if end >= 0 else len(doc)]


def _tables(text: str) -> list[list[list[str]]]:
    """Markdown tables of ``text``: lists of rows (header and separator dropped)."""
    tables, rows = [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            tables.append([row for row in rows[2:]])
            rows = []
    return tables


def _check_printed(printed: str, exact, where: str):
    """``printed`` is ``exact`` rounded to 15 significant digits, or exact if shorter."""
    digits = len(printed.lstrip("-0.").replace(".", ""))
    value = mpf(printed)
    if digits < 15:
        assert abs(value - exact) <= abs(exact) * mpf(10) ** -50, f"{where}: {printed} is not exact"
    else:
        ulp = mpf(10) ** (mpmath.floor(mpmath.log10(abs(exact))) - 14)
        assert abs(value - exact) <= ulp / 2 * (1 + mpf(10) ** -20), (
            f"{where}: table {printed}, 60-digit value {mpmath.nstr(exact, 20)}"
        )


def mp_levels(probs, rewards):
    """Levels ascending: (reward, mass, [outcome indices]), exact mp masses."""
    levels: dict = {}
    for i, (p, r) in enumerate(zip(probs, rewards, strict=True)):
        mass, members = levels.get(r, (mpf(0), []))
        levels[r] = (mass + p, members + [i])
    return [(r, *levels[r]) for r in sorted(levels) if levels[r][0] > 0]


def mp_bon(probs, rewards, n):
    """(pmf per outcome, KL, W) from w = F**n - G**n, directly."""
    pmf = [mpf(0)] * len(probs)
    kl = win = cum = mpf(0)
    for _, q, members in mp_levels(probs, rewards):
        below, cum = cum, cum + q
        w = cum**n - below**n
        for i in members:
            pmf[i] = probs[i] / q * w
        kl += w * mpmath.log(w / q) if w else 0
        win += w * (below + q / 2)
    return pmf, kl, win


def mp_kl_bound(n):
    return mpmath.log(n) - (n - 1) / mpf(n)


def mp_estimate(eps, n):
    a = (1 - eps) ** n
    b = 1 - a
    return a * (mpmath.log(n) + (n - 1) * mpmath.log(1 - eps) - (n - 1) / mpf(n)) + b * mpmath.log(
        b / eps
    )


def mp_estimate_expected(probs, rewards, n):
    pmf, _, _ = mp_bon(probs, rewards, n)
    return sum(w * mp_estimate(p, n) for w, p in zip(pmf, probs, strict=True) if w)


def mp_kl(policy, probs):
    return sum(a * mpmath.log(a / b) for a, b in zip(policy, probs, strict=True) if a)


def mp_normalise(weights):
    total = sum(weights)
    return [x / total for x in weights]


def uniform(size):
    return [mpf(1) / size] * size, np.full(size, 1.0 / size), list(range(size))


def binary():
    return [1 - mpf("1e-4"), mpf("1e-4")], np.array([1 - 1e-4, 1e-4]), [0, 1]


def reference(name):
    """(mp probs, float probs, rewards) of a §9 reference; call inside mp.workdps."""
    if name == "binary, top 1e-4":
        return binary()
    return uniform(int(name.removeprefix("uniform L=")))


def test_main_table_against_mpmath_and_the_package():
    rows = _tables(_section_9())[0]
    assert len(rows) == 5
    for name, n_text, *values in rows:
        where = f"§9 {name}, n = {n_text}"
        n = int(n_text)
        with mp.workdps(60):
            mp_probs, probs, rewards = reference(name)
            _, kl, win = mp_bon(mp_probs, rewards, n)
            exact = [
                kl,
                mp_kl_bound(n),
                mp_estimate(mp_probs[-1], n),
                mp_estimate_expected(mp_probs, rewards, n),
                win,
            ]
            for printed, value in zip(values, exact, strict=True):
                _check_printed(printed, value, where)
        package = [
            bk.kl_exact(probs, rewards, n),
            bk.kl_bound(n),
            bk.kl_estimate(float(probs[-1]), n),
            bk.kl_estimate_expected(probs, rewards, n),
            bk.win_rate(probs, rewards, n),
        ]
        for got, value in zip(package, exact, strict=True):
            assert got == pytest.approx(float(value), rel=PACKAGE_REL), where


def _soft_mp(probs, rewards, n, temperature):
    """MATH §8 soft best-of-n integral by mpmath quadrature, per outcome."""
    e = [mpmath.exp(mpf(r) / temperature) for r in rewards]

    def moment(t):
        return sum(p * mpmath.exp(-t * x) for p, x in zip(probs, e, strict=True))

    def integral(x):
        return mpmath.quad(
            lambda t: mpmath.exp(-t * x) * moment(t) ** (n - 1), [0, 1, 10, mpmath.inf]
        )

    return [p * x * n * integral(x) for p, x in zip(probs, e, strict=True)]


def _bank_mp(rewards, n):
    """(expected reward, win rate) of best-of-n from a bank, by enumerating subsets."""
    subsets = list(itertools.combinations(rewards, n))
    reward = mpf(sum(Fraction(max(s)) for s in subsets) / len(subsets))
    score = Fraction(0)
    count = 0
    for s in itertools.combinations(rewards, n + 1):
        for j in range(n + 1):
            best = max(s[:j] + s[j + 1 :])
            score += 1 if best > s[j] else Fraction(1, 2) if best == s[j] else 0
            count += 1
    return reward, mpf(score / count)


def _rewind_mp(probs, alpha):
    """Rewind-and-repeat pmf (rewards ascending and distinct), from its definition."""
    out, above = [mpf(0)] * len(probs), mpf(0)
    for i in range(len(probs) - 1, -1, -1):
        accepted = min(probs[i], max(alpha - above, 0))
        out[i] = accepted / alpha
        above += probs[i]
    return out


def _further_values():
    """Quantity (as in the table) -> (60-digit value, package value)."""
    quarter, half = mpf(1) / 4, mpf(1) / 2
    three = [quarter, quarter, half]
    bank4 = [0.0, 1.0, 2.0, 3.0]
    mp_bin, bin_probs, _ = binary()
    reward4, win4 = _bank_mp([0, 1, 2, 3], 2)
    pass4, _ = _bank_mp([1] * 3 + [0] * 7, 4)
    curves4 = bk.bank_curves(bank4, [2])
    with mp.workdps(40):
        soft = _soft_mp([mpf("0.2"), mpf("0.3"), mpf("0.5")], [0, 1, 3], mpf("3.5"), mpf("0.7"))
        soft2 = _soft_mp([half, half], [0, 1], 2, 1)
    return {
        "`bon_pmf([1/4, 1/4, 1/2], rewards [1, 0, 1], n=3)`, outcome 0 (= 21/64)": (
            mp_bon(three, [1, 0, 1], 3)[0][0],
            bk.bon_pmf([0.25, 0.25, 0.5], [1, 0, 1], 3)[0],
        ),
        "`kl_saturation`, binary, top 1e-4": (
            -mpmath.log(mp_bin[-1]),
            bk.kl_saturation(bin_probs, [0, 1]),
        ),
        "`win_rate_tilt([1/2, 1/2], [0, 1], beta=2)`, top (= e/(1+e))": (
            mp_normalise([half * mpmath.exp(2 * quarter), half * mpmath.exp(2 * 3 * quarter)])[1],
            bk.win_rate_tilt([0.5, 0.5], [0, 1], 2.0)[1],
        ),
        "`reward_tilt([1/2, 1/2], [0, 1], beta=log 3)`, top (= 3/4)": (
            mp_normalise([half, half * 3])[1],
            bk.reward_tilt([0.5, 0.5], [0, 1], math.log(3.0))[1],
        ),
        "`rewind_and_repeat([1/4, 1/4, 1/2], [0, 1, 2], alpha=0.6)`, KL": (
            mp_kl(_rewind_mp(three, mpf("0.6")), three),
            bk.kl_divergence(
                bk.rewind_and_repeat([0.25, 0.25, 0.5], [0, 1, 2], 0.6), [0.25] * 2 + [0.5]
            ),
        ),
        "`soft_best_of_n([1/2, 1/2], [0, 1], n=2, lambda=1)`, top (= 1/4 + e/(2(1+e)))": (
            soft2[1],
            bk.soft_best_of_n([0.5, 0.5], [0, 1], 2, 1.0)[1],
        ),
        "`soft_best_of_n([0.2, 0.3, 0.5], [0, 1, 3], n=3.5, lambda=0.7)`, outcome 0": (
            soft[0],
            bk.soft_best_of_n([0.2, 0.3, 0.5], [0, 1, 3], 3.5, 0.7)[0],
        ),
        "bank rewards [0, 1, 2, 3], n=2: expected reward (= 7/3)": (
            reward4,
            curves4.expected_reward[0, 0],
        ),
        "bank rewards [0, 1, 2, 3], n=2: win rate (= 2/3)": (win4, curves4.win_rate[0, 0]),
        "bank rewards [0, 1, 2, 3], n=2: plug-in KL": (
            mp_bon(uniform(4)[0], range(4), 2)[1],
            curves4.kl_plugin[0, 0],
        ),
        "bank of 10 with 3 rewards 1, n=4: expected reward = pass@4 (= 5/6)": (
            pass4,
            bk.bank_curves([1.0] * 3 + [0.0] * 7, [4]).expected_reward[0, 0],
        ),
    }


def test_further_values_against_mpmath_and_the_package():
    rows = _tables(_section_9())[1]
    with mp.workdps(60):
        expected = _further_values()
        assert sorted(row[0] for row in rows) == sorted(expected)
        for quantity, printed in rows:
            exact, package = expected[quantity]
            _check_printed(printed, exact, f"§9 {quantity}")
            assert float(package) == pytest.approx(float(exact), rel=PACKAGE_REL), quantity


@pytest.mark.parametrize(
    "size, correct, n",
    [(10, 3, 4), (200, 1, 100), (200, 57, 10), (1000, 5, 999), (1000, 995, 1), (50, 50, 7)],
)
def test_bank_expected_reward_is_the_unbiased_pass_at_k(size, correct, n):
    """MATH §7: 0/1 rewards give exactly 1 - C(N - c, n) / C(N, n) (Chen et al. 2021)."""
    rewards = np.r_[np.ones(correct), np.zeros(size - correct)]
    np.random.default_rng(size + correct).shuffle(rewards)
    pass_at_k = 1 - Fraction(math.comb(size - correct, n), math.comb(size, n))
    got = bk.bank_curves(rewards, [n]).expected_reward[0, 0]
    assert got == pytest.approx(float(pass_at_k), rel=PACKAGE_REL)
