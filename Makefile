# The two commands of the README. Both set everything up first (idempotent).
.PHONY: setup demo test lint

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/archscope list
	.venv/bin/archscope summary resnet34

# -n 2: CI machines have two cores.
test: setup
	.venv/bin/python -m pytest -q -n 2

# Types (mypy: strict on the api, the results and the CLI; default settings elsewhere) and style (ruff),
# both configured in pyproject.toml. Not yet part of `make test`.
lint: setup
	.venv/bin/ruff check archscope tests
	.venv/bin/mypy archscope
