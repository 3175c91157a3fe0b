"""The model zoo: every classic CNN of the story, as published and as the
popular implementations write it.

>>> from archscope.zoo import list_models, get_model
>>> list_models("resnet5*")
['resnet50', 'resnet50.keras', 'resnet50.torchvision', 'resnet56', 'resnet56.keras']
>>> model = get_model("resnet50", device="meta")   # no weight allocated
"""

from archscope.zoo._registry import ModelInfo, Published, get_model, list_models, model_info, resolve, skip_init

# Importing the family modules registers their entries, oldest network first.
from archscope.zoo import lenet, alexnet, vgg, nin, googlenet, resnet, resnet_cifar  # noqa: E402,F401
from archscope.zoo import inception, squeezenet, inception_v4, densenet, mobilenet  # noqa: E402,F401

__all__ = ["ModelInfo", "Published", "get_model", "list_models", "model_info", "resolve", "skip_init"]
