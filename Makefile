# The two commands of the README. Both set everything up first (idempotent).
.PHONY: setup demo test lint

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/archscope list
	.venv/bin/archscope summary resnet34

# The whole check CI runs: style (ruff), types (mypy: strict on the api, the results, the CLI, the analysis
# engine and the claims statistics; default settings elsewhere), both configured in pyproject.toml, then the
# tests (-n 2: CI machines have two cores). Each step stops the run when it fails.
test: setup
	.venv/bin/ruff check archscope tests
	.venv/bin/mypy archscope
	.venv/bin/python -m pytest -q -n 2

# Types and style alone (the first two steps of `make test`).
lint: setup
	.venv/bin/ruff check archscope tests
	.venv/bin/mypy archscope
