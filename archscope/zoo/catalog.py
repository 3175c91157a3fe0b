"""The zoo as rows of plain data (for ``archscope list`` and the reports)."""

from __future__ import annotations

from archscope.zoo._registry import get_model, list_models, model_info


def count_params(model) -> int:
    """Parameters counted once each (a shared parameter is one parameter)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def catalog_rows(pattern: str | None = None, source: str | None = None) -> list[dict]:
    rows = []
    for name in list_models(pattern, source=source):
        info = model_info(name)
        model = get_model(name, device="meta")  # no weights allocated
        rows.append({
            "name": name, "family": info.family, "year": info.year, "source": info.source,
            "input_shape": list(info.input_shape), "num_classes": info.num_classes,
            "params": count_params(model),
        })
    return rows
