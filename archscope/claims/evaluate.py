"""Evaluate claims: measure, compare with the tolerance the wording implies,
and give a verdict with the measured value beside the expected one."""

from __future__ import annotations

from archscope.claims.measure import MEASURES
from archscope.claims.schema import Claim, Evaluation, Verdict


def _deviation(measured, expected) -> str:
    if isinstance(measured, (int, float)) and isinstance(expected, (int, float)) and expected:
        return f"{(measured - expected) / abs(expected):+.1%}"
    return ""


def compare(claim: Claim, measured) -> tuple[bool, str]:
    e, how = claim.expected, claim.compare
    if how == "approx":
        ok = claim.tolerance.allows(measured, e)
        dev = _deviation(measured, e)
        return ok, f"{dev} ({claim.tolerance.wording})" if dev else claim.tolerance.wording
    if how in ("exact", "equal"):
        return measured == e, "exact"
    if how == "greater":
        return measured > e, f"needs > {e:g}"
    if how == "less":
        return measured < e, f"needs < {e:g}"
    if how == "at_least":
        return measured >= e, claim.tolerance.wording
    if how == "per_unit":  # expected is in some unit the source does not name: any of args["units"]
        rel = claim.tolerance.rel or 0.0
        hits = [u for u in claim.args["units"] if abs(measured / u - e) <= rel * abs(e) + 1e-9]
        if hits:
            return True, f"matches with unit {hits[0]:,} ({claim.tolerance.wording})"
        best = min(claim.args["units"], key=lambda u: abs(measured / u - e))
        return False, f"{(measured / best - e) / e:+.1%} at best (unit {best:,}; {claim.tolerance.wording})"
    if how == "range":
        lo, hi = e
        return lo <= measured <= hi, claim.tolerance.wording
    raise ValueError(f"{claim.id}: unknown comparison {how!r}")


def evaluate(claim: Claim) -> list[Evaluation]:
    results = []
    for models in claim.models:
        models = tuple(m for m in models if m)
        if claim.kind == "training":  # a verdict from the last measured runs, or why it cannot be checked here
            from archscope.claims.training import evaluate_training

            results.append(evaluate_training(claim, models))
            continue
        if claim.requires:
            results.append(Evaluation(claim, models, Verdict.CANNOT_CHECK, detail=f"needs {claim.requires}"))
            continue
        try:
            m = MEASURES[claim.quantity](models, claim.args)
        except Exception as e:  # a claim that cannot be evaluated is an error, not a finding
            results.append(Evaluation(claim, models, Verdict.ERROR, detail=f"{type(e).__name__}: {e}"))
            continue
        if claim.inconsistent:
            results.append(Evaluation(claim, models, Verdict.INCONSISTENT, m.value,
                                      f"measured {m.detail}. {claim.inconsistent}"))
            continue
        ok, how = compare(claim, m.value)
        verdict = Verdict.HOLDS if ok else Verdict.DOES_NOT_HOLD
        results.append(Evaluation(claim, models, verdict, m.value, f"{m.detail}; {how}" if how else m.detail))
    return results


def evaluate_all(claims, source: str | None = None) -> list[Evaluation]:
    out = []
    for c in claims:
        if source and source.lower() not in (c.source + " " + c.id).lower():
            continue
        out.extend(evaluate(c))
    return out


def evaluate_for(claims, names) -> list[Evaluation]:
    """Evaluations of the claims' model sets that lie wholly among ``names``
    (only those are measured: ``compare`` asks about exactly its models)."""
    from dataclasses import replace

    from archscope.zoo import resolve

    wanted = {resolve(n) for n in names if ":" not in n}
    out = []
    for c in claims:
        sets = tuple(ms for ms in c.models if [m for m in ms if m] and all(resolve(m) in wanted for m in ms if m))
        if sets:
            out.extend(evaluate(replace(c, models=sets)))
    return out
