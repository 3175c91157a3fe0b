#!/usr/bin/env bash
# Regenerates reports/sweeps/ and reports/cam/ on the CPU (2 cores: about 12
# minutes, plus about 20 for ResNet-18 at its full 224x224 input unless
# SKIP_224=1): the sweep of issue 7's acceptance command and two variations,
# and CAM / Grad-CAM with the pointing game after probe runs. Trained weights
# go to a temporary folder (tens of MB); the figures and tables are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
A=.venv/bin/archscope
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
timed() { local t0=$SECONDS; "$@"; echo "  ($(( SECONDS - t0 )) s: $*)" >&2; }

timed $A sweep lenet.d2l --vary lr=0.1,0.5,0.9,1.3 --repeats 3 --device cpu -o reports/sweeps/lenet.d2l-lr-adam
timed $A sweep lenet.d2l --vary lr=0.1,0.5,0.9,1.3 --repeats 3 --optimizer sgd --momentum 0 --device cpu \
  -o reports/sweeps/lenet.d2l-lr-sgd
timed $A sweep lenet.d2l --vary lr=0.0003,0.001,0.003,0.01 --vary activation=sigmoid,relu --repeats 3 \
  --device cpu -o reports/sweeps/lenet.d2l-lr-activation

timed $A probe resnet20 --device cpu --save "$W/resnet20.safetensors" -o reports/cam/resnet20/probe.json
timed $A cam resnet20 --weights "$W/resnet20.safetensors" -o reports/cam/resnet20
timed $A cam resnet20 --weights "$W/resnet20.safetensors" --upsample bilinear -o reports/cam/resnet20-bilinear
timed $A probe resnet18 --device cpu --input 3x64x64 --steps 300 --save "$W/resnet18-64.safetensors" \
  -o reports/cam/resnet18-64/probe.json
timed $A cam resnet18 --weights "$W/resnet18-64.safetensors" -o reports/cam/resnet18-64
timed $A cam resnet18 --weights "$W/resnet18-64.safetensors" --upsample bilinear -o reports/cam/resnet18-64-bilinear
timed $A cam resnet18 --weights "$W/resnet18-64.safetensors" --method gradcam --layer layer2 \
  -o reports/cam/resnet18-64-layer2
if [ -z "${SKIP_224:-}" ]; then
  timed $A probe resnet18 --device cpu --steps 200 --save "$W/resnet18.safetensors" -o reports/cam/resnet18/probe.json
  timed $A cam resnet18 --weights "$W/resnet18.safetensors" -o reports/cam/resnet18
  timed $A cam resnet18 --weights "$W/resnet18.safetensors" --upsample bilinear -o reports/cam/resnet18-bilinear
fi
