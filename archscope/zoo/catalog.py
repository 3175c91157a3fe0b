"""The zoo as rows of plain data (for ``archscope list`` and the reports).

Parameter counts are data: ``counts.json`` beside this file holds each
entry's count, so ``archscope list`` builds no model (building all of them on
meta cost about 2 s of its 4 s). A test rebuilds every entry and fails when
the file is stale; ``python -m archscope.zoo.catalog`` rewrites it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from archscope.zoo._registry import get_model, list_models, model_info

COUNTS = Path(__file__).with_name("counts.json")


def count_params(model) -> int:
    """Parameters counted once each (a shared parameter is one parameter)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


@lru_cache(maxsize=1)
def _counts() -> dict:
    try:
        return json.loads(COUNTS.read_text())
    except (OSError, ValueError):
        return {}


def params_of(name: str) -> int:
    """The entry's default build's parameter count: from counts.json, else built on meta."""
    n = _counts().get(name)
    return n if isinstance(n, int) else count_params(get_model(name, device="meta"))


def catalog_rows(pattern: str | None = None, source: str | None = None) -> list[dict]:
    rows = []
    for name in list_models(pattern, source=source):
        info = model_info(name)
        rows.append({
            "name": name, "family": info.family, "year": info.year, "source": info.source,
            "input_shape": list(info.input_shape), "num_classes": info.num_classes,
            "params": params_of(name),
        })
    return rows


def built_counts() -> dict:
    return {name: count_params(get_model(name, device="meta")) for name in list_models()}


if __name__ == "__main__":
    COUNTS.write_text(json.dumps(built_counts(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {COUNTS}")
