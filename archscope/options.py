"""The choices archscope's functions take, as Enums: one definition each, shared by
the application layer (``archscope.api``) and the CLI, which shows them as its
options' choices.

Where the library already defines a set of values (the zoo's sources, the
renderers' file formats, the training settings, the CAM methods), the Enum is
built from that definition, so a value the library gains is a choice at once
(``archscope list --source timm`` was refused while the zoo held timm entries:
the CLI had its own copy of the sources).

Each is a ``str`` Enum, so ``Format.markdown == "markdown"`` and a plain string
is accepted wherever the api coerces with ``Enum(value)``.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

# the training settings' own Enums (archscope.probe.config), re-exported: one definition
from archscope.probe.config import Dataset, Device, Init, Optimizer, Precision, Scaling
from archscope.probe.parallel import BackendKind


class Format(str, Enum):
    """How a table-shaped result prints (summary, list): CSV too."""

    table = "table"
    markdown = "markdown"
    json = "json"
    csv = "csv"


class OutputFormat(str, Enum):
    """How claims, compare, diff, probe, sweep, cam and data list print."""

    table = "table"
    markdown = "markdown"
    json = "json"


class DType(str, Enum):
    """The parameter and activation dtype an analysis counts bytes in."""

    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"
    float64 = "float64"


def _from(name: str, values: tuple[str, ...] | list[str]) -> type[Enum]:
    """A str Enum whose members are ``values`` (member name = value, as the CLI shows it)."""
    return Enum(name, {v: v for v in values}, type=str)  # type: ignore[return-value]


def _sources() -> tuple[str, ...]:
    from archscope.sources import SOURCES

    return SOURCES


def _cam_methods() -> tuple[str, ...]:
    from archscope.explain.diagnose import METHODS

    return (*METHODS, "both")


if TYPE_CHECKING:  # for the type checker, a str Enum; its members are the data's, made below
    class Source(str, Enum):
        """A zoo source."""

    class CamMethod(str, Enum):
        """cam, gradcam or both."""
else:
    # The zoo's sources (archscope.sources.SOURCES: the registry refuses an entry with any other).
    Source = _from("Source", _sources())

    def __getattr__(name: str) -> type[Enum]:
        """CamMethod, made on first use: CAM, Grad-CAM, or both (archscope.explain.diagnose.METHODS; importing
        it loads the CAM code, which the CLI's start does not need)."""
        if name == "CamMethod":
            globals()[name] = value = _from("CamMethod", _cam_methods())
            return value
        raise AttributeError(f"module 'archscope.options' has no attribute {name!r}")


class DiagramFormat(str, Enum):
    """The files a diagram can be written as: archscope.render.diagram.FORMATS, spelled here because importing the
    renderer loads the analysis, which the CLI's start does not need (tests/test_api.py checks they agree)."""

    svg = "svg"
    png = "png"
    pdf = "pdf"
    dot = "dot"


class Level(str, Enum):
    """A diagram's nodes: one per block (identical runs as xN), or every layer (archscope.analysis.graph)."""

    block = "block"
    layer = "layer"


class LayerOrder(str, Enum):
    """The rows of a layer table: as the forward calls them, or as the model declares them."""

    call = "call"
    definition = "definition"


class BuildDevice(str, Enum):
    """Where a model's constructor runs: on meta (no weight allocated), or on the CPU for a constructor that
    reads tensor values (torchvision's RegNet); the analysis runs on meta either way."""

    meta = "meta"
    cpu = "cpu"


class Heat(str, Enum):
    """What a diagram's nodes are shaded by: their share of the parameters or of the MACs."""

    params = "params"
    macs = "macs"


class Upsample(str, Enum):
    """How a map is brought to the input's size (archscope.explain.cam): each value at the centre of its
    receptive field, or plain bilinear resizing."""

    aligned = "aligned"
    bilinear = "bilinear"


__all__ = ["BackendKind", "BuildDevice", "CamMethod", "DType", "Dataset", "Device", "DiagramFormat", "Format", "Heat",
           "Init", "LayerOrder", "Level", "Optimizer", "OutputFormat", "Precision", "Scaling", "Source", "Upsample"]
