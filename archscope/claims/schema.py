"""A claim is data: what the source says, where, about which models, the
value it gives, and the tolerance its own wording implies."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Verdict(str, Enum):
    HOLDS = "holds"
    DOES_NOT_HOLD = "does not hold"
    INCONSISTENT = "inconsistent"  # the source's own figures do not recompute
    CANNOT_CHECK = "cannot be checked here"
    ERROR = "error"


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


@dataclass
class Evaluation:
    claim: Claim
    models: tuple[str, ...]
    verdict: Verdict
    measured: Any = None
    detail: str = ""
    spread: dict | None = None  # training claims: {"std", "n", "band": [lo, hi]} over the seeds

    def to_dict(self) -> dict:
        c = self.claim
        return {
            "id": c.id, "statement": c.statement, "source": c.source, "kind": c.kind, "quantity": c.quantity,
            "models": list(self.models), "expected": c.expected, "measured": self.measured,
            "verdict": self.verdict.value, "detail": self.detail, "tolerance": c.tolerance.wording,
            "convention": c.convention, "note": c.note, "spread": self.spread,
        }
