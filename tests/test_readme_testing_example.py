"""The README's "Testing your own best-of-n code" example runs, passes, and could fail."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
from hypothesis import find
from hypothesis import strategies as st

import bonkl_fast as bk
from bonkl_fast.testing import mpmath_kl, ns, references

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Testing your own best-of-n code"


def readme_example() -> dict:
    """Execute the section's python block; return its namespace."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    section = section[: section.find("\n## ", len(SECTION))]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1
    namespace: dict = {"__name__": "readme_example"}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    return namespace


def test_readme_property_test_passes():
    readme_example()["test_my_kl"]()  # runs the hypothesis property


def test_readme_property_catches_the_textbook_formula_outside_its_domain():
    """With the full strategies the same property finds a reference where my_kl is wrong."""
    my_kl = readme_example()["my_kl"]

    def wrong(case):
        (probs, rewards), n = case
        with np.errstate(all="ignore"):
            mine = my_kl(probs, rewards, n)
        exact = bk.kl_exact(probs, rewards, n)
        return not math.isclose(mine, exact, rel_tol=1e-6, abs_tol=1e-12)

    (probs, rewards), n = find(st.tuples(references(), ns()), wrong)
    exact = float(mpmath_kl(probs, rewards, n))  # the slow reference agrees it is wrong
    with np.errstate(all="ignore"):
        mine = my_kl(probs, rewards, n)
    assert not math.isclose(mine, exact, rel_tol=1e-6, abs_tol=1e-12)
    assert math.isclose(bk.kl_exact(probs, rewards, n), exact, rel_tol=1e-12, abs_tol=1e-300)
