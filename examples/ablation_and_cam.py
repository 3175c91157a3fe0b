"""A two-setting ablation and a Grad-CAM map, through the Python API.

Sigmoid against ReLU in d2l's LeNet (two short runs each on the synthetic
set), then where the ReLU model looks: the map's peak against the object.
"""

import tempfile
from pathlib import Path

import torch

from archscope.explain import gradcam, pointing_game
from archscope.probe import probe
from archscope.probe.data import synthetic
from archscope.probe.sweep import run_sweep
from archscope.probe.weights import load_weights
from archscope.render.sweep import render_table
from archscope.zoo import get_model

result = run_sweep("lenet.d2l", {"activation": ["sigmoid", "relu"]}, repeats=2,
                   probe_kwargs=dict(device="cpu", steps=150))
print(render_table(result))

# train once more and keep the weights, then map the class evidence on fresh images
model = get_model("lenet.d2l", activation="relu")
with tempfile.TemporaryDirectory() as tmp:
    weights = Path(tmp) / "lenet.safetensors"
    probe("lenet.d2l", device="cpu", steps=300, overrides={"activation": "relu"}, overfit_check=False, save=weights)
    load_weights(model, weights)
data = synthetic(128, (1, 28, 28), seed=99, with_mask=True, spread=0.7)
maps = gradcam(model, data.x, target=data.y)  # the last convolutional block, upsampled where its fields sit
game, _ = pointing_game(maps, data.mask)
print(f"Grad-CAM at {maps.layer} ({'x'.join(map(str, maps.map_size))}): pointing game {game.accuracy:.2f}, "
      f"centre baseline {game.centre_baseline:.2f}, chance {game.chance:.2f}")
with torch.no_grad():
    print(f"classifier accuracy on these images: {(model.eval()(data.x).argmax(-1) == data.y).float().mean():.2f}")
