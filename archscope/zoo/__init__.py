"""The model zoo: every classic CNN of the story, as published and as the
popular implementations write it.

>>> from archscope.zoo import list_models, get_model
>>> list_models("resnet5*")
['resnet50', 'resnet50.keras', 'resnet50.torchvision', 'resnet56', 'resnet56.keras']
>>> model = get_model("resnet50", device="meta")   # no weight allocated
"""

import importlib

from archscope.zoo._registry import ModelInfo, Published, get_model, list_models, model_info, resolve, skip_init

# Importing the family modules registers their entries, oldest network first: the registry keeps that
# order, so it is written as data here rather than left to an import sorter.
_FAMILIES = ("lenet", "alexnet", "vgg", "nin", "googlenet", "resnet", "resnet_cifar",
             "inception", "squeezenet", "inception_v4", "densenet", "mobilenet")
for _family in _FAMILIES:
    importlib.import_module(f"archscope.zoo.{_family}")

__all__ = ["ModelInfo", "Published", "get_model", "list_models", "model_info", "resolve", "skip_init"]
