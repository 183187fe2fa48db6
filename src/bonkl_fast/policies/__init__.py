"""Comparison policies for best-of-n, and the frontier that sets them side by side (MATH §8).

Every policy here is a pmf over the reference's outcomes that gives all
outcomes of a reward level the same ratio ``policy / pi``. Its KL, win rate
and expected reward are therefore exact sums over the merged levels, and
:func:`bonkl_fast.kl_divergence` / :func:`bonkl_fast.win_rate_vs_reference`
applied to the returned pmf agree with them.

Layout (public functions validate, sort and merge ties once with
:func:`bonkl_fast._levels.prepare_levels`; everything below them works on
those :class:`~bonkl_fast._levels.Levels`, and :class:`bonkl_fast.Reference`
calls the same level functions with the levels it built at construction):

* ``_rewind``: :func:`rewind_and_repeat`, and its exact KL, win rate and reward
  for the frontier (no pmf);
* ``_tilts``: :func:`win_rate_tilt`, :func:`reward_tilt`, :func:`tilt_for_kl`;
  ``_tilt_solve``: the vectorised solve for the tilt strength at target KLs;
* ``_soft``: :func:`soft_best_of_n` (quadrature in log t);
* ``_frontier``: :func:`frontier`; ``_frontier_table``: the :class:`Frontier` it returns;
* ``_levels``: what they share (scalar checks, level masses to a pmf, the tilt
  ``_Tilt`` on normalised scores);
* ``_kernels_tilt``, ``_kernels_best_of_n``: the Numba loops (tilt sums;
  best-of-n and soft best-of-n sums), which trust their input.

No submodule is named ``frontier``: it would shadow the function
``bonkl_fast.frontier``.
"""

from __future__ import annotations

from ._frontier import frontier
from ._frontier_table import Frontier
from ._rewind import rewind_and_repeat
from ._soft import soft_best_of_n
from ._tilts import reward_tilt, tilt_for_kl, win_rate_tilt

__all__ = [
    "rewind_and_repeat",
    "win_rate_tilt",
    "reward_tilt",
    "tilt_for_kl",
    "soft_best_of_n",
    "frontier",
    "Frontier",
]
