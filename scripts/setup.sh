#!/usr/bin/env bash
# Idempotent set-up: a virtual environment in .venv with torch (the CPU build),
# the project and its test extras, and Graphviz's `dot` binary.
# Second runs take a second: each step checks before it works.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
VENV=.venv

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $($PY --version)"
  "$PY" -m venv "$VENV"
fi
PIP="$VENV/bin/python -m pip --disable-pip-version-check -q"
# This machine's pip config lists local indexes that do not exist for every
# package; pip warns once per package. Keep real errors, drop that noise.
quiet() { "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }

# torch first, pinned to the CPU build, so that nothing later resolves a
# multi-GB CUDA wheel. 2.13.0+cpu lies on this kind of machine's disk; elsewhere
# PyTorch's CPU index serves it.
if ! "$VENV/bin/python" -c "import torch" >/dev/null 2>&1; then
  echo "setup: installing torch (CPU build)"
  quiet $PIP install "torch==2.13.0" \
    || quiet $PIP install "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu \
    || quiet $PIP install "torch>=2.2,<3" --index-url https://download.pytorch.org/whl/cpu
fi

# The project with its test extras, Ray (so the Ray backend's tests run, not skip) and the lint tools;
# redone only when pyproject.toml changes.
STAMP="$VENV/.setup-stamp"
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  echo "setup: installing archscope and its dependencies"
  quiet $PIP install -e ".[test,ray,lint]"
  touch "$STAMP"
fi

# Graphviz's dot renders the diagrams; the Python package alone cannot.
if ! command -v dot >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Graphviz (dot)"
    (apt-get install -y -q graphviz >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q graphviz >/dev/null 2>&1; }) \
      || echo "setup: warning: could not install graphviz; diagrams will be written as .dot only"
  else
    echo "setup: warning: Graphviz 'dot' not found; install it (apt-get install graphviz) to render diagrams"
  fi
fi

# Real Fashion-MNIST (Debian's dataset-fashion-mnist, 30 MB): the training claims of
# article 002 run on it without a download. archscope verifies its content checksums.
if [ ! -d /usr/share/datasets/fashion-mnist ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Fashion-MNIST (dataset-fashion-mnist)"
    (apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1; }) \
      || echo "setup: warning: could not install dataset-fashion-mnist; \`archscope data fetch fashion-mnist\` downloads it"
  fi
fi
