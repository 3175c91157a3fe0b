# The two commands of the README. Both set everything up first (idempotent).
.PHONY: setup demo test

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/archscope list
	.venv/bin/archscope summary resnet34

# -n 2: CI machines have two cores.
test: setup
	.venv/bin/python -m pytest -q -n 2
