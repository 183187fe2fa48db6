"""The result of :func:`bonkl_fast.bank_curves`: curves per group, their means over groups,
standard errors, confidence intervals and tables (MATH §7, §11).

:class:`BankCurves` holds the curves and answers questions about them; the
statistics over groups (means, standard errors, intervals, the bootstrap) are
computed in ``_bank_stats.py`` and the tables written in ``_bank_tables.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _bank_stats, _bank_tables, _table
from ._kernels_exact import kl_bound_many

__all__ = ["BankCurves"]

PER_GROUP = ("expected_reward", "win_rate", "kl_estimate", "kl_plugin")
NAN_WIN_NOTE = (
    "win rate is NaN where n >= N: the win rate needs a reference sample held out "
    "from the n compared (n + 1 <= N samples)"
)
POPULATION_NOTE = (
    "* the groups averaged change with n (groups of different sizes N): a row averages only "
    "the groups with N >= n (win rate: N > n), so rows describe different sets of prompts"
)
DISTINCT_NOTE = "all samples distinct: log n - (n-1)/n is exact here (KL estimate = folklore bound)"


@dataclass(frozen=True)
class BankCurves:
    """Best-of-n curves of a bank, per group and averaged (see :func:`bank_curves`).

    Attributes
    ----------
    ns : ndarray of int64, shape (m,)
        The subset sizes n, in the order requested.
    groups : ndarray, shape (G,)
        Distinct group ids, in order of first appearance in the input rows.
    n_samples : ndarray of int64, shape (G,)
        Samples per group (N).
    expected_reward, win_rate, kl_plugin : ndarray, shape (G, m)
        Per group and n; NaN where n > N (win rate: where n >= N).
    kl_estimate : ndarray, shape (G, m), or None
        MATH §4 estimate (None when no log-probabilities were given).
    evaluated, evaluated_win_rate : dict of str to ndarray, shape (G, m)
        Per evaluation score (MATH §11): expected score of the sample
        best-of-n picks by reward, and its win rate under that score against
        an independent reference sample. Empty dicts without ``evaluate``.
    kl_bound : ndarray, shape (m,)
        ``log n - (n - 1) / n``.
    mean_expected_reward, mean_win_rate, mean_kl_estimate, mean_kl_plugin : ndarray, shape (m,)
        Unweighted means over the groups whose entry is defined (groups with
        N < n, or N <= n for the win rate, are left out); NaN when no group
        qualifies. ``mean_kl_estimate`` is None without log-probabilities.
    mean_evaluated, mean_evaluated_win_rate : dict of str to ndarray, shape (m,)
        The same means of the evaluation curves.
    sem_expected_reward, sem_win_rate, sem_kl_estimate, sem_kl_plugin : ndarray, shape (m,)
        Standard error of each mean across groups: sample standard deviation
        (ddof 1) over the groups averaged, divided by the square root of their
        count; NaN with fewer than 2 groups.
    sem_evaluated, sem_evaluated_win_rate : dict of str to ndarray, shape (m,)
        The same for the evaluation curves.
    groups_counted, groups_counted_win_rate : ndarray of int64, shape (m,)
        Number of groups with N >= n (averaged into the reward, KL and
        evaluated means), and with N > n (averaged into the win rates).
    """

    ns: np.ndarray
    groups: np.ndarray
    n_samples: np.ndarray
    expected_reward: np.ndarray
    win_rate: np.ndarray
    kl_estimate: np.ndarray | None
    kl_plugin: np.ndarray
    evaluated: dict = field(default_factory=dict)
    evaluated_win_rate: dict = field(default_factory=dict)
    kl_bound: np.ndarray = field(init=False)
    # per curve, its mean over groups and that mean's standard error (set in __post_init__)
    mean_expected_reward: np.ndarray = field(init=False)
    sem_expected_reward: np.ndarray = field(init=False)
    mean_win_rate: np.ndarray = field(init=False)
    sem_win_rate: np.ndarray = field(init=False)
    mean_kl_estimate: np.ndarray | None = field(init=False)
    sem_kl_estimate: np.ndarray | None = field(init=False)
    mean_kl_plugin: np.ndarray = field(init=False)
    sem_kl_plugin: np.ndarray = field(init=False)
    mean_evaluated: dict = field(init=False)
    sem_evaluated: dict = field(init=False)
    mean_evaluated_win_rate: dict = field(init=False)
    sem_evaluated_win_rate: dict = field(init=False)
    groups_counted: np.ndarray = field(init=False)
    groups_counted_win_rate: np.ndarray = field(init=False)

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        put("kl_bound", kl_bound_many(self.ns.astype(np.float64)))
        for name in PER_GROUP:
            per_group = getattr(self, name)
            stats = (None, None) if per_group is None else _bank_stats.mean_sem(per_group)
            put(f"mean_{name}", stats[0])
            put(f"sem_{name}", stats[1])
        for name in ("evaluated", "evaluated_win_rate"):
            stats = {key: _bank_stats.mean_sem(value) for key, value in getattr(self, name).items()}
            put(f"mean_{name}", {key: value[0] for key, value in stats.items()})
            put(f"sem_{name}", {key: value[1] for key, value in stats.items()})
        at_least = self.n_samples[:, None] >= self.ns[None, :]
        put("groups_counted", at_least.sum(axis=0).astype(np.int64))
        more = self.n_samples[:, None] > self.ns[None, :]
        put("groups_counted_win_rate", more.sum(axis=0).astype(np.int64))

    def curve(self, name: str, evaluation: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per-group values ``(G, m)`` and mean ``(m,)`` of one curve by name.

        ``name`` is one of ``expected_reward``, ``win_rate``, ``kl_estimate``,
        ``kl_plugin``, ``evaluated``, ``evaluated_win_rate`` (the last two with
        ``evaluation``, the name of the score).
        """
        if name in ("evaluated", "evaluated_win_rate"):
            scores = getattr(self, name)
            if evaluation not in scores:
                known = ", ".join(map(repr, scores)) or "none (pass evaluate= to bank_curves)"
                raise ValueError(f"no evaluation score {evaluation!r}; scores: {known}")
            return scores[evaluation], getattr(self, f"mean_{name}")[evaluation]
        if name not in PER_GROUP or getattr(self, name) is None:
            raise ValueError(
                f"no curve {name!r}; choose one of {', '.join(PER_GROUP)}, evaluated, "
                "evaluated_win_rate (kl_estimate needs log-probabilities)"
            )
        return getattr(self, name), getattr(self, f"mean_{name}")

    def confidence_interval(
        self,
        name: str = "expected_reward",
        evaluation: str | None = None,
        *,
        level: float = 0.95,
        method: str = "normal",
        resamples: int = 2000,
        rng=None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Confidence interval ``(low, high)`` of a mean curve, shape (m,) each.

        ``method="normal"``: mean +- z sem, z the normal quantile of
        ``(1 + level) / 2`` (1.96 at 95%). ``method="bootstrap"``: percentile
        interval of the mean over ``resamples`` prompt-level bootstrap
        resamples (groups drawn with replacement, ``rng`` a Generator, seed or
        None; each resample averages its groups where the entry is defined).
        Cost O(resamples * G * m). NaN where fewer than 2 groups count.

        Examples
        --------
        >>> from bonkl_fast import bank_curves
        >>> c = bank_curves([0, 1, 2, 3, 1, 1, 5, 0], [1, 2], groups=[0, 0, 0, 0, 1, 1, 1, 1])
        >>> low, high = c.confidence_interval("expected_reward")
        >>> bool((low <= c.mean_expected_reward).all() and (c.mean_expected_reward <= high).all())
        True
        """
        if not 0.0 < level < 1.0:
            raise ValueError(f"level must be in (0, 1), e.g. 0.95, got {level!r}")
        values, mean = self.curve(name, evaluation)
        return _bank_stats.confidence_interval(values, mean, level, method, resamples, rng)

    def notes(self) -> list[str]:
        """Sentences a reader of the averaged table needs (NaN win rates, changing groups)."""
        out = []
        if (self.ns >= self.n_samples.min()).any():
            out.append(NAN_WIN_NOTE)
        if self.population_changes().any():
            out.append(POPULATION_NOTE)
        if self.all_samples_distinct():
            out.append(DISTINCT_NOTE)
        return out

    def population_changes(self) -> np.ndarray:
        """Per n: True where some but not all groups are averaged (some N < n, or N <= n
        for the win rates): that row's means describe a different set of prompts."""
        total = self.n_samples.shape[0]
        counts = np.stack([self.groups_counted, self.groups_counted_win_rate])
        return ((counts < total) & (counts > 0)).any(axis=0)

    def all_samples_distinct(self) -> bool:
        """True when the KL estimate equals the folklore bound (every sample's probability tiny)."""
        if self.mean_kl_estimate is None:
            return False
        both = np.isfinite(self.mean_kl_estimate)
        diff = np.abs(self.mean_kl_estimate[both] - self.kl_bound[both])
        return bool(both.any() and (diff <= 1e-9 * np.maximum(1.0, self.kl_bound[both])).all())

    def table(self, *, sem: bool = False) -> dict[str, np.ndarray]:
        """The averaged curves as named columns; ``sem=True`` adds a ``*_sem`` after each."""
        columns = {
            "n": self.ns,
            "groups_counted": self.groups_counted,
            "groups_counted_win_rate": self.groups_counted_win_rate,
            "kl_bound": self.kl_bound,
        }
        named = [
            (name, getattr(self, f"mean_{name}"), getattr(self, f"sem_{name}"))
            for name in ("kl_estimate", "kl_plugin", "expected_reward", "win_rate")
        ]
        for key in self.evaluated:
            named.append((f"evaluated[{key}]", self.mean_evaluated[key], self.sem_evaluated[key]))
            named.append(
                (
                    f"evaluated_win_rate[{key}]",
                    self.mean_evaluated_win_rate[key],
                    self.sem_evaluated_win_rate[key],
                )
            )
        for name, mean, error in named:
            if mean is not None:
                columns[name] = mean
                if sem:
                    columns[f"{name}_sem"] = error
        return columns

    def to_dict(self) -> dict:
        """Every averaged curve and its sem as JSON-ready lists (NaN as None), with the notes."""
        return _bank_tables.as_dict(self)

    def to_csv(self) -> str:
        """The averaged curves and their sems as CSV (full precision, ``nan`` for undefined)."""
        return _table.csv_text(self.table(sem=True))

    def to_pandas(self, *, per_group: bool = False):
        """A tidy ``pandas.DataFrame``: one row per n and curve (``mean``, ``sem``,
        ``groups_counted``), or with ``per_group=True`` one row per group, n and curve."""
        if per_group:
            return _table.data_frame(self._per_group_rows())
        return _bank_tables.mean_frame(self)

    def _per_group_rows(self) -> dict:
        named = [(n, getattr(self, n)) for n in PER_GROUP if getattr(self, n) is not None]
        for kind in ("evaluated", "evaluated_win_rate"):
            named += [(f"{kind}[{key}]", v) for key, v in getattr(self, kind).items()]
        g, m = self.n_samples.shape[0], self.ns.shape[0]
        return {
            "group": np.tile(np.repeat(self.groups, m), len(named)),
            "n": np.tile(self.ns, g * len(named)),
            "curve": np.repeat([name for name, _ in named], g * m),
            "value": np.concatenate([values.ravel() for _, values in named]),
        }

    def _repr_html_(self) -> str:
        caption = f"best-of-n curves of {self.n_samples.shape[0]:,} groups (means over groups)"
        return _table.html_table(self.table(), caption=caption)

    def __repr__(self) -> str:
        scores = f", evaluate={list(self.evaluated)}" if self.evaluated else ""
        return (
            f"BankCurves(groups={self.n_samples.shape[0]}, samples={int(self.n_samples.sum())}, "
            f"N={int(self.n_samples.min())}..{int(self.n_samples.max())}, "
            f"ns={self.ns.shape[0]} values from {int(self.ns[0])}{scores})"
        )

    def to_markdown(self) -> str:
        """The averaged curves as a Markdown table (6 digits, +- one sem), then the notes."""
        return _bank_tables.markdown(self)
