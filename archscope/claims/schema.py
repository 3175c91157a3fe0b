"""A claim is data: what the source says, where, about which models, the
value it gives, and the tolerance its own wording implies."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Verdict(str, Enum):
    HOLDS = "holds"
    DOES_NOT_HOLD = "does not hold"
    NOT_DETERMINED = "not determined"  # measured, but too little data to decide (archscope.claims.stats)
    INCONSISTENT = "inconsistent"  # the source's own figures do not recompute
    CANNOT_CHECK = "cannot be checked here"
    ERROR = "error"


class CannotCheck(Exception):
    """A measurement that needs what is not here (a data set, hardware): the
    verdict is "cannot be checked here", with this message as the reason."""


@dataclass(frozen=True)
class Tolerance:
    """How far a measured value may sit from the stated one.

    ``rel``: relative (0.10 for "about"); ``abs``: absolute (half the last
    printed digit for a table figure); ``wording``: why, in words."""

    rel: float | None = None
    abs: float | None = None
    wording: str = "exact"

    def allows(self, measured: float, expected: float) -> bool:
        if self.rel is None and self.abs is None:
            return measured == expected
        slack = max(self.rel * abs(expected) if self.rel is not None else 0.0, self.abs or 0.0)
        return abs(measured - expected) <= slack + 1e-12


EXACT = Tolerance()
ABOUT = Tolerance(rel=0.10, wording="'about' / 'around' (左右, 约, apie): within 10%")


def printed(decimals: int) -> Tolerance:
    """A figure printed with `decimals` decimals: it holds if the measured
    value rounds to it."""
    return Tolerance(abs=0.5 * 10 ** -decimals, wording=f"printed to {decimals} decimal(s): rounds to it")


@dataclass(frozen=True)
class Claim:
    id: str
    statement: str  # as the source words it, translated to English where needed
    source: str  # article file (shared/sources) or paper with section/table
    kind: str  # ratio | count | shapes | inequality | exact | training
    quantity: str  # a key of archscope.claims.measure.MEASURES
    models: tuple[tuple[str, ...], ...]  # each tuple is one evaluation: the paper's models, the source's own, ...
    expected: Any = None
    compare: str = "approx"  # approx | exact | greater | less | at_least | range | equal
    tolerance: Tolerance = EXACT
    convention: str = ""  # e.g. "parameters including biases", "multiply-adds"
    args: dict = field(default_factory=dict)
    requires: str | None = None  # what checking the claim needs that is not here (data, hardware)
    experiment: str | None = None  # training claims: the id of the experiment that measures them
    inconsistent: str | None = None  # the source's own numbers disagree: explanation
    note: str = ""
    # Which build the verdict is about: the model sets of ``models`` it is judged on (empty: every set), and
    # why those — the source's own code is judged on its tutorial build, prose about a published network on
    # the paper's. The other sets are measured and shown beside it ("also on ..."), never as the verdict.
    on: tuple[tuple[str, ...], ...] = ()
    build: str = ""

    def judged_sets(self) -> tuple[tuple[str, ...], ...]:
        return tuple(ms for ms in self.models if not self.on or ms in self.on)

    def other_sets(self) -> tuple[tuple[str, ...], ...]:
        return tuple(ms for ms in self.models if self.on and ms not in self.on)


@dataclass
class Evaluation:
    """One verdict: the claim judged on one model set, with the rule that
    gave it in words (``rule``), the numbers behind it (``stats``: n, k, mean,
    std, t, band, p, ... for a training claim), why this build (``build``),
    the other builds measured beside it (``also``: models, measured, outcome,
    detail) and, for a training claim, which measurement it used
    (``measurement``: files, dates, runs)."""

    claim: Claim
    models: tuple[str, ...]
    verdict: Verdict
    measured: Any = None
    detail: str = ""
    rule: str = ""
    stats: dict | None = None
    build: str = ""
    also: list = field(default_factory=list)
    measurement: dict | None = None

    @property
    def outcome(self) -> str:
        return self.verdict.value

    def involves(self) -> set[str]:
        """Every model this evaluation measured: its own and the builds shown beside it."""
        return {m for m in self.models if m} | {m for a in self.also for m in a["models"] if m}

    def to_dict(self) -> dict:
        c, st = self.claim, self.stats or {}
        return {
            "id": c.id, "statement": c.statement, "source": c.source, "kind": c.kind, "quantity": c.quantity,
            "models": list(self.models), "expected": c.expected, "measured": self.measured,
            "outcome": self.verdict.value, "rule": self.rule, "detail": self.detail,
            "tolerance": c.tolerance.wording, "convention": c.convention,
            "n": st.get("n"), "k": st.get("k"), "band": st.get("band"), "stats": self.stats,
            "build": list(self.models), "build_reason": self.build, "also": self.also,
            "measurement": self.measurement, "note": c.note,
        }
