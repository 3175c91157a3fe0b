"""What people say about the networks, checked: claims as data, evaluated on
the zoo with verdicts."""

from archscope.claims.evaluate import evaluate, evaluate_all, evaluate_for
from archscope.claims.registry import CLAIMS, by_id
from archscope.claims.schema import Claim, Evaluation, Tolerance, Verdict

__all__ = ["CLAIMS", "by_id", "Claim", "Evaluation", "Tolerance", "Verdict", "evaluate", "evaluate_all", "evaluate_for"]
