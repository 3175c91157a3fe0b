"""The statistics behind every training verdict: pure functions of the
measured values, with the distributions from scipy.stats.

Three outcomes, because a few seeds may not decide: *holds*, *does not hold*,
*not determined*. Each rule below is also the text shown beside the verdicts
(``FIGURE_RULE``, ``ORDER_RULE``, ``CURVE_RULE``).

**A figure** ("the source reports v, the mean of k runs"; k = 1 for a single
run). archscope measured n seeds with mean x̄ and sample standard deviation
s. If the source's runs and ours come from one normal distribution, a mean
of k new runs lies, with probability 95 %, in the prediction interval

    x̄ ± t(0.975, n−1) · s · √(1/n + 1/k)

(Meeker, Hahn & Escobar, *Statistical Intervals*, 2nd ed. 2017, ch. 4 —
Hahn & Meeker 1991 in the first edition — "an interval to contain the mean
of m future observations"; with k = 1 it is Montgomery & Runger, *Applied
Statistics and Probability for Engineers*, 3rd ed. 2003, Sec. 8-6, Eq. 8-29).
The figure *holds* when v lies in that interval, or when |v − x̄| is within
the wording's slack w — half a unit of the source's last printed digit (the
source rounds), 10 % for "about" — and *does not hold* otherwise. With
n < 2 there is no s: *not determined*, never a verdict. The other readings
use the same interval [lo, hi] widened by w: "at least v" holds when
hi + w ≥ v, "more than v" when hi + w > v, "less than v" when lo − w < v,
"within the range a..b" when the interval meets it; each does not hold when
the interval lies wholly on the wrong side.

**An ordering** ("the best setting lies in R", "A is better than B"): the
best setting inside R (highest mean) against the best outside R, by Welch's
t-test (two-sided, unequal variances; ``scipy.stats.ttest_ind(...,
equal_var=False)``) at α = 0.05. It *holds* when p < α and the inside
setting has the higher mean, *does not hold* when p < α and the outside one
has, and is *not determined* when p ≥ α or either side has fewer than 2
seeds: the data cannot tell the two apart. (Picking the best of several
means before testing favours finding a difference; the α is that of the one
test, stated as such.)

**A convergence speed** ("small batches converge much more slowly"): per
run, the first epoch (linearly interpolated between epochs) at which the
test accuracy reaches a common target — the lowest last-epoch test accuracy
among the compared runs, so that every run reaches it — and the slow
setting against the fast one by the same Welch's test, with "holds" when
the slow one needs significantly more epochs.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

# scipy ships no type information and the project does not install scipy-stubs: mypy cannot see it
from scipy import stats as _st

LEVEL = 0.95  # the prediction interval's coverage
ALPHA = 0.05  # the ordering tests' significance level

HOLDS, DOES_NOT_HOLD, NOT_DETERMINED = "holds", "does not hold", "not determined"

FIGURE_RULE = ("holds when the source's figure (a mean of k runs) lies in the 95% prediction interval "
               "x̄ ± t(0.975, n−1)·s·√(1/n + 1/k) of our n seeds, or is within half a unit of its own last printed "
               "digit from x̄; with fewer than 2 seeds: not determined")
ORDER_RULE = ("Welch's t-test (two-sided, α = 0.05) between the best setting inside the claimed range and the "
              "best outside: holds / does not hold when p < α, not determined otherwise")
CURVE_RULE = ("epochs to reach a common test accuracy (the lowest last-epoch one among the compared runs), "
              "slow against fast setting by Welch's t-test (α = 0.05)")


def t_quantile(p: float, df: int) -> float:
    """Student's t quantile t(p, df) (``scipy.stats.t.ppf``)."""
    return float(_st.t.ppf(p, df))


@dataclass(frozen=True)
class Interval:
    """The prediction interval of a mean of ``k`` new runs from ``n`` measured ones."""

    mean: float
    std: float  # the sample standard deviation (n - 1 in the denominator)
    n: int
    k: int
    t: float  # t(1 - (1 - level) / 2, n - 1)
    half: float  # t * std * sqrt(1/n + 1/k)
    level: float = LEVEL

    @property
    def lo(self) -> float:
        return self.mean - self.half

    @property
    def hi(self) -> float:
        return self.mean + self.half


def interval_from(mean: float, s: float, n: int, k: int = 1, level: float = LEVEL) -> Interval:
    """The ``level`` prediction interval for the mean of ``k`` new runs from
    the summary of ``n`` runs (mean, sample standard deviation ``s``):
    x̄ ± t((1+level)/2, n−1) · s · √(1/n + 1/k)."""
    if n < 2:
        raise ValueError(f"a prediction interval needs n >= 2 runs, got {n}")
    if k < 1:
        raise ValueError(f"k (the runs the source averaged) must be at least 1, got {k}")
    t = t_quantile((1 + level) / 2, n - 1)
    return Interval(mean, s, n, k, t, t * s * math.sqrt(1 / n + 1 / k), level)


def prediction_interval(values: Iterable[float], k: int = 1, level: float = LEVEL) -> Interval | None:
    """``interval_from`` the values' mean and sample standard deviation; None
    with fewer than 2 values (no spread can be estimated from one)."""
    xs = [float(v) for v in values]
    if len(xs) < 2:
        return None
    return interval_from(statistics.fmean(xs), statistics.stdev(xs), len(xs), k, level)


def printed_slack(decimals: int) -> float:
    """Half a unit of the last printed digit of a figure printed with ``decimals`` decimals."""
    return 0.5 * 10.0 ** -decimals


@dataclass(frozen=True)
class FigureVerdict:
    outcome: str
    interval: Interval | None
    slack: float
    why: str = ""  # by how much, or why not determined


def judge_figure(values: Iterable[float], claimed: float | tuple[float, float], k: int = 1, *, slack: float = 0.0,
                 compare: str = "approx") -> FigureVerdict:
    """The verdict on a claimed figure (see the module docstring).

    ``compare``: ``approx`` (the figure itself), ``at_least``, ``greater``,
    ``less``, or ``range`` (``claimed`` is (a, b))."""
    values = list(values)  # read twice below: a one-pass iterable would count 0 seeds the second time
    iv = prediction_interval(values, k)
    if iv is None:
        n = len(values)
        return FigureVerdict(NOT_DETERMINED, None, slack, f"{n} seed{'s' if n != 1 else ''}: no spread to judge by "
                                                          "(needs at least 2)")
    lo, hi, eps = iv.lo, iv.hi, 1e-12
    if compare == "range":
        a, b = cast(tuple[float, float], claimed)
        ok = hi + slack >= a - eps and lo - slack <= b + eps
        return FigureVerdict(HOLDS if ok else DOES_NOT_HOLD, iv, slack, "" if ok else f"outside {a:g}..{b:g}")
    claimed = cast(float, claimed)  # every other comparison is against one figure
    if compare in ("approx", "exact", "equal"):
        gap = abs(claimed - iv.mean)
        if gap <= max(iv.half, slack) + eps:
            return FigureVerdict(HOLDS, iv, slack)
        return FigureVerdict(DOES_NOT_HOLD, iv, slack, f"outside by {gap - max(iv.half, slack):.2g}")
    if compare == "at_least":
        ok = hi + slack >= claimed - eps
        return FigureVerdict(HOLDS if ok else DOES_NOT_HOLD, iv, slack,
                             "" if ok else f"the interval ends {claimed - hi - slack:.2g} below {claimed:g}")
    if compare == "greater":
        ok = hi + slack > claimed
        return FigureVerdict(HOLDS if ok else DOES_NOT_HOLD, iv, slack, "" if ok else f"not above {claimed:g}")
    if compare == "less":
        ok = lo - slack < claimed
        return FigureVerdict(HOLDS if ok else DOES_NOT_HOLD, iv, slack, "" if ok else f"not below {claimed:g}")
    raise ValueError(f"unknown comparison {compare!r}")


@dataclass(frozen=True)
class Comparison:
    """Welch's t-test of sample ``a`` against sample ``b``."""

    outcome: str  # holds: a significantly above b; does not hold: below; not determined
    mean_a: float
    mean_b: float
    n_a: int
    n_b: int
    t: float | None = None
    df: float | None = None
    p: float | None = None
    alpha: float = ALPHA
    why: str = ""


def welch(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """(t, Welch–Satterthwaite degrees of freedom, two-sided p) of the means
    of ``a`` and ``b`` (``scipy.stats.ttest_ind(a, b, equal_var=False)``)."""
    r = _st.ttest_ind([float(x) for x in a], [float(x) for x in b], equal_var=False)
    df = getattr(r, "df", None)
    if df is None:  # scipy < 1.11: the Welch–Satterthwaite formula
        va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
        df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    return float(r.statistic), float(df), float(r.pvalue)


def compare_means(a: Iterable[float], b: Iterable[float], alpha: float = ALPHA) -> Comparison:
    """Is the mean of ``a`` higher than that of ``b``? Three outcomes (see the
    module docstring): decided only when Welch's two-sided p < ``alpha``."""
    a, b = [float(x) for x in a], [float(x) for x in b]
    ma = statistics.fmean(a) if a else math.nan
    mb = statistics.fmean(b) if b else math.nan
    if len(a) < 2 or len(b) < 2:
        return Comparison(NOT_DETERMINED, ma, mb, len(a), len(b), alpha=alpha,
                          why=f"{min(len(a), len(b))} seed(s) on one side: needs at least 2 on each")
    if statistics.pvariance(a) == 0 and statistics.pvariance(b) == 0:  # no spread at all: t is not defined
        if ma == mb:
            return Comparison(NOT_DETERMINED, ma, mb, len(a), len(b), alpha=alpha, why="identical values")
        return Comparison(HOLDS if ma > mb else DOES_NOT_HOLD, ma, mb, len(a), len(b), math.inf, math.nan, 0.0,
                          alpha, "no spread on either side")
    t, df, p = welch(a, b)
    if not math.isfinite(p) or p >= alpha:
        return Comparison(NOT_DETERMINED, ma, mb, len(a), len(b), t, df, p, alpha,
                          f"p = {p:.2g} ≥ α = {alpha:g}: the data cannot tell them apart")
    return Comparison(HOLDS if ma > mb else DOES_NOT_HOLD, ma, mb, len(a), len(b), t, df, p, alpha)


def epochs_to_reach(history: Iterable[Mapping[str, Any]], target: float, metric: str = "test_accuracy") -> float | None:
    """The first epoch at which ``metric`` reaches ``target``, linearly
    interpolated between the recorded epochs around the crossing (a run
    already there at its first recorded epoch reached it by that epoch);
    None when the run never reaches it.

    ``history``: [{"epoch": 1, metric: value, ...}, ...] in epoch order."""
    prev: tuple[float, float] | None = None  # the last recorded (epoch, value) below the target
    for h in sorted(history, key=lambda h: h["epoch"]):
        e, v = float(h["epoch"]), h.get(metric)
        if not isinstance(v, (int, float)) or not math.isfinite(v):
            continue
        if v >= target:
            if prev is None:
                return e
            prev_e, prev_v = prev
            return prev_e + (target - prev_v) / (v - prev_v) * (e - prev_e)  # prev_v < target <= v
        prev = (e, v)
    return None


__all__ = ["ALPHA", "LEVEL", "HOLDS", "DOES_NOT_HOLD", "NOT_DETERMINED", "FIGURE_RULE", "ORDER_RULE", "CURVE_RULE",
           "Interval", "interval_from", "prediction_interval", "printed_slack", "FigureVerdict", "judge_figure",
           "Comparison", "welch", "compare_means", "epochs_to_reach", "t_quantile"]
