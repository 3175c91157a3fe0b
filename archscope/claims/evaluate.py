"""Evaluate claims: measure each model set a claim names, and let
``archscope.claims.verdicts`` judge it — on the build the claim is about
(``Claim.on``), with the other builds' measurements shown beside it."""

from __future__ import annotations

from pathlib import Path

from archscope.claims.measure import MEASURES
from archscope.claims.schema import CannotCheck, Claim, Evaluation, Verdict
from archscope.claims.verdicts import compare, evaluate_training, fmt, judge_measurement

__all__ = ["compare", "evaluate", "evaluate_all", "evaluate_for", "select"]


def _measure(claim: Claim, models: tuple):
    """(Measurement, None) or (None, Evaluation saying why there is none)."""
    try:
        return MEASURES[claim.quantity](models, claim.args), None
    except CannotCheck as e:
        return None, Evaluation(claim, models, Verdict.CANNOT_CHECK, detail=str(e), build=claim.build)
    except Exception as e:  # a claim that cannot be evaluated is an error, not a finding
        return None, Evaluation(claim, models, Verdict.ERROR, detail=f"{type(e).__name__}: {e}", build=claim.build)


def _also(claim: Claim) -> list[dict]:
    """The builds a claim is not judged on, measured: shown beside the verdict, never as it."""
    out = []
    for models in claim.other_sets():
        models = tuple(m for m in models if m)
        m, failed = _measure(claim, models)
        if failed is not None:
            out.append({"models": list(models), "measured": None, "outcome": failed.verdict.value,
                        "detail": failed.detail})
            continue
        ok, how = compare(claim, m.value)
        out.append({"models": list(models), "measured": m.value, "outcome": "holds" if ok else "does not hold",
                    "detail": f"{m.detail}; {how}" if how else m.detail})
    return out


def _other_readings(claim: Claim, models: tuple, results) -> list[dict]:
    """A training claim whose source can be read two ways (``args["also_settings"]``): the other readings'
    measurements, judged by the same rule and shown beside the verdict, never as it."""
    from dataclasses import replace

    from archscope.probe.experiments import setting_label

    out = []
    for alt in claim.args.get("also_settings", ()):
        e = evaluate_training(replace(claim, args={**claim.args, "setting": dict(alt)}), models, results)
        out.append({"models": list(models), "setting": setting_label(alt), "measured": e.measured,
                    "outcome": e.verdict.value, "detail": e.rule or e.detail})
    return out


def also_text(also: list[dict]) -> str:
    """'also on X: value (would hold)' for each other build."""
    words = {"holds": "would hold", "does not hold": "would not hold"}
    return "; ".join(f"also on {' / '.join(a['models'])}: {fmt(a['measured'])} "
                     f"({words.get(a['outcome'], a['outcome'])})" for a in also)


def evaluate(claim: Claim, results: Path | str | None = None) -> list[Evaluation]:
    """One evaluation per model set the claim is judged on. ``results``: the
    folder of the user's training measurements (default
    ``$ARCHSCOPE_HOME/training``), merged with the shipped ones."""
    results_ = []
    also = _also(claim) if claim.on and claim.kind != "training" and not claim.requires else []
    for models in claim.judged_sets():
        models = tuple(m for m in models if m)
        if claim.kind == "training":  # a verdict from the measured runs, or why it cannot be checked here
            e = evaluate_training(claim, models, results)
            e.build = e.build or claim.build
            e.also = _other_readings(claim, models, results)
            if e.also:
                e.detail = f"{e.detail}; " + "; ".join(f"the other reading, {a['setting']}: {a['detail']}"
                                                       for a in e.also)
            results_.append(e)
            continue
        if claim.requires:
            results_.append(Evaluation(claim, models, Verdict.CANNOT_CHECK, detail=f"needs {claim.requires}",
                                       build=claim.build))
            continue
        m, failed = _measure(claim, models)
        if failed is not None:
            results_.append(failed)
            continue
        if claim.inconsistent:
            results_.append(Evaluation(claim, models, Verdict.INCONSISTENT, m.value,
                                       f"measured {m.detail}. {claim.inconsistent}",
                                       rule=f"the source's own figures disagree; measured {fmt(m.value)}",
                                       build=claim.build))
            continue
        results_.append(judge_measurement(claim, models, m.value, m.detail, claim.build))
    if also and results_:
        first = results_[0]
        first.also = also
        first.detail = f"{first.detail}; {also_text(also)}"
    return results_


def evaluate_all(claims, source: str | None = None, results: Path | str | None = None) -> list[Evaluation]:
    out = []
    for c in claims:
        if source and source.lower() not in (c.source + " " + c.id).lower():
            continue
        out.extend(evaluate(c, results))
    return out


def select(claims, ids) -> list[Claim]:
    """The claims with the given ids, in the order given; an unknown id is an
    error that names the closest ones."""
    import difflib

    from archscope.errors import ArchscopeError

    by = {c.id: c for c in claims}
    out = []
    for i in ids:
        if i not in by:
            close = difflib.get_close_matches(i, by, n=3)
            raise ArchscopeError(f"no claim {i!r}" + (f"; did you mean {', '.join(close)}?" if close else ""))
        out.append(by[i])
    return out


def evaluate_for(claims, names, results: Path | str | None = None) -> list[Evaluation]:
    """Evaluations of the claims with a model set (judged, or shown beside
    it) lying wholly among ``names``: ``compare`` asks about exactly its models."""
    from archscope.zoo import resolve

    wanted = {resolve(n) for n in names if ":" not in n}

    def among(ms):
        ms = [m for m in ms if m]
        return bool(ms) and all(resolve(m) in wanted for m in ms)

    out: list[Evaluation] = []
    for c in claims:
        if any(among(ms) for ms in c.models):
            out.extend(e for e in evaluate(c, results) if among(e.models)
                       or any(among(a["models"]) for a in e.also))
    return out
