"""AlexNet (Krizhevsky, Sutskever, Hinton 2012, "ImageNet Classification with
Deep Convolutional Neural Networks", NIPS, Sec. 3 and Fig. 2) and the AlexNets
that torchvision, d2l and article 000 write.

The paper's network is split over two GPUs: conv2, conv4 and conv5 only see
the kernel maps on their own GPU (``groups=2`` here), conv3 and the fully
connected layers see both. LRN follows conv1 and conv2; overlapping 3x3/2 max
pooling follows both LRNs and conv5; dropout 0.5 on the first two FC layers.

The paper says the input is 224x224x3, but conv1 (11x11, stride 4) only
yields the 55x55 maps of Fig. 2 from a 227x227 input: (227-11)/4+1 = 55,
while (224-11)/4+1 = 54.25. The default input here is therefore 227x227.
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from archscope.zoo._registry import ModelInfo, Published, changed, input_differs, only_paper, only_variant, register
from archscope.zoo.layers import PaperLRN, keras_conv

__all__ = ["AlexNet", "alexnet", "alexnet_torchvision", "alexnet_d2l", "alexnet_tutorial"]

PAPER = "ImageNet Classification with Deep Convolutional Neural Networks (Krizhevsky et al., 2012)"


class AlexNet(nn.Module):
    """The paper's network; ``two_tower=False`` merges the towers (groups=1)."""

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, *, two_tower: bool = True, dropout: float = 0.5):
        super().__init__()
        g = 2 if two_tower else 1
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 96, 11, stride=4), nn.ReLU(),  # (N, 96, 55, 55)
            PaperLRN(), nn.MaxPool2d(3, 2),  # (N, 96, 27, 27)
            nn.Conv2d(96, 256, 5, padding=2, groups=g), nn.ReLU(),
            PaperLRN(), nn.MaxPool2d(3, 2),  # (N, 256, 13, 13)
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 384, 3, padding=1, groups=g), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1, groups=g), nn.ReLU(),
            nn.MaxPool2d(3, 2),  # (N, 256, 6, 6)
        )
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(),
            nn.Linear(4096, num_classes),
        )
        self._init_weights()

    def _init_weights(self):
        # Sec. 5: weights N(0, 0.01); biases 1 in conv2, conv4, conv5 and the
        # FC layers (to give ReLUs positive inputs early), 0 elsewhere.
        convs = [m for m in self.features if isinstance(m, nn.Conv2d)]
        for i, m in enumerate(convs + [m for m in self.classifier if isinstance(m, nn.Linear)]):
            nn.init.normal_(m.weight, 0.0, 0.01)
            nn.init.constant_(m.bias, 1.0 if i in (1, 3, 4) or i >= 5 else 0.0)

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))


def alexnet(num_classes=1000, in_channels=3, *, two_tower=True, dropout=0.5):
    return AlexNet(num_classes, in_channels, two_tower=two_tower, dropout=dropout)


def alexnet_torchvision(num_classes=1000, in_channels=3, *, dropout=0.5):
    """torchvision.models.alexnet: single tower, 64/192/384/256/256 channels
    (the "one weird trick" layout), no LRN, adaptive 6x6 average pool.
    Module names as torchvision's (features / avgpool / classifier)."""
    return nn.Sequential(OrderedDict(
        features=nn.Sequential(
            nn.Conv2d(in_channels, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        ),
        avgpool=nn.AdaptiveAvgPool2d((6, 6)),
        flatten=nn.Flatten(),
        classifier=nn.Sequential(
            nn.Dropout(dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(),
            nn.Linear(4096, num_classes),
        ),
    ))


def alexnet_d2l(num_classes=10, in_channels=1, *, dropout=0.5):
    """d2l 8.1: Fashion-MNIST resized to 224, one channel, conv1 padding 1, no
    LRN, no towers, 10 classes."""
    return nn.Sequential(
        nn.Conv2d(in_channels, 96, 11, stride=4, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Linear(6400, 4096), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(4096, num_classes),
    )


def alexnet_tutorial(num_classes=17, in_channels=3, *, dropout=0.5):
    """Article 000's Keras AlexNet for oxflower17 at 224x224x3: 'valid' conv1
    (54x54 maps), 'same' conv2-5, 3x3/2 max pooling, no LRN, no towers, and an
    extra Dense(1000, relu) + Dropout before the 17-way classifier."""
    return nn.Sequential(
        keras_conv(in_channels, 96, 11, 4, padding="valid"), nn.ReLU(), nn.MaxPool2d(3, 2),  # 54 -> 26
        keras_conv(96, 256, 5), nn.ReLU(), nn.MaxPool2d(3, 2),  # 26 -> 12
        keras_conv(256, 384, 3), nn.ReLU(),
        keras_conv(384, 384, 3), nn.ReLU(),
        keras_conv(384, 256, 3), nn.ReLU(), nn.MaxPool2d(3, 2),  # 12 -> 5
        nn.Flatten(),
        nn.Linear(256 * 5 * 5, 4096), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(4096, 1000), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(1000, num_classes),
    )


# deviations the single-tower variants share (names in the paper's network)
_TOWERS = ("features.4", "features.10", "features.12")  # conv2, conv4, conv5: grouped in two towers
_NO_LRN = only_paper(("features.2", "features.6"), layer="LocalResponseNorm", size=5, alpha=5e-4, k=2.0,
                     why="no local response normalisation (torch's alpha is the paper's 1e-4 times n = 5)")

register(ModelInfo(
    name="alexnet", family="AlexNet", year=2012, paper=PAPER, source="paper",
    input_shape=(3, 227, 227), num_classes=1000,
    notes=(
        "Two towers: conv2, conv4, conv5 are grouped (groups=2) as the paper splits them over two GPUs; "
        "two_tower=False merges them.",
        "Input 227x227: the paper's text says 224x224, which does not give its own 55x55 conv1 maps "
        "((224-11)/4+1 = 54.25); 227 does.",
        "LRN with the paper's constants (k=2, n=5, alpha=1e-4, beta=0.75) in the paper's formula.",
    ),
    published=(Published("params", 60e6, "Krizhevsky et al. 2012, Sec. 1/4: 'has 60 million parameters'"),),
    builder=alexnet,
))
register(ModelInfo(
    name="alexnet.torchvision", family="AlexNet", year=2012, paper=PAPER, source="torchvision",
    input_shape=(3, 224, 224), num_classes=1000,
    notes=("Single tower with 64/192/384/256/256 channels (Krizhevsky 2014, 'One weird trick'), "
           "conv1 padding 2, no LRN, AdaptiveAvgPool2d(6).",),
    deviations=(
        input_differs((3, 227, 227), (3, 224, 224), why="torchvision's 224x224 crops; conv1's padding 2 makes "
                      "them give the paper's 55x55 maps"),
        changed("features.0", layer="Conv2d", out_channels=(96, 64), padding=((0, 0), (2, 2)),
                why="conv1: 64 filters ('One weird trick', Krizhevsky 2014), padded by 2"),
        _NO_LRN,
        changed(_TOWERS, ("features.3", "features.8", "features.10"), layer="Conv2d", groups=(2, 1),
                why="one tower: conv2, conv4 and conv5 are not split over two GPUs"),
        changed("features.4", "features.3", layer="Conv2d", out_channels=(256, 192),
                why="conv2: 192 filters ('One weird trick')"),
        changed("features.10", "features.8", layer="Conv2d", out_channels=(384, 256),
                why="conv4: 256 filters ('One weird trick')"),
        only_variant("avgpool", layer="AdaptiveAvgPool2d", output_size=(6, 6),
                     why="torchvision's AdaptiveAvgPool2d((6, 6)) before the classifier (any input size)"),
    ),
    published=(Published("params", 61_100_840, "torchvision AlexNet_Weights.IMAGENET1K_V1 meta num_params"),
               Published("gflops", 0.714, "torchvision AlexNet_Weights.IMAGENET1K_V1 meta _ops")),
    builder=alexnet_torchvision,
))
register(ModelInfo(
    name="alexnet.d2l", family="AlexNet", year=2012, paper=PAPER, source="d2l",
    input_shape=(1, 224, 224), num_classes=10,
    notes=("d2l 8.1: one input channel (Fashion-MNIST resized to 224), conv1 padding 1, 96/256/384/384/256 "
           "single tower, no LRN, 10 classes.",),
    deviations=(
        input_differs((3, 227, 227), (1, 224, 224), why="d2l 8.1 trains on Fashion-MNIST (one channel) resized "
                      "to 224x224"),
        changed("features.0", "0", layer="Conv2d", padding=((0, 0), (1, 1)),
                why="d2l 8.1: nn.Conv2d(1, 96, kernel_size=11, stride=4, padding=1)"),
        _NO_LRN,
        changed(_TOWERS, ("3", "8", "10"), layer="Conv2d", groups=(2, 1),
                why="one tower: conv2, conv4 and conv5 are not split over two GPUs"),
        changed("classifier.6", "20", layer="Linear", out_features=(1000, 10), why="10 classes (Fashion-MNIST)"),
    ),
    builder=alexnet_d2l,
))
register(ModelInfo(
    name="alexnet.tutorial", family="AlexNet", year=2012, paper=PAPER, source="tutorial",
    input_shape=(3, 224, 224), num_classes=17,
    notes=(
        "Article 000's Keras code (oxflower17): 224x224 input with 'valid' conv1 gives 54x54 maps, not 55x55.",
        "No LRN, no towers; an extra Dense(1000, relu) + Dropout(0.5) before the 17-way softmax.",
        "The Keras softmax is folded into the loss: forward() returns logits.",
    ),
    deviations=(
        input_differs((3, 227, 227), (3, 224, 224), why="article 000's Keras code: input_shape=(224, 224, 3)"),
        _NO_LRN,
        changed(_TOWERS, ("3", "8", "10"), layer="Conv2d", groups=(2, 1),
                why="one tower: conv2, conv4 and conv5 are plain Conv2D layers"),
        only_variant("21", layer="ReLU", why="the extra Dense(1000, activation='relu') before the 17-way output"),
        only_variant("22", layer="Dropout", runs="never in the traced forward",
                     why="the Dropout(0.5) after that extra Dense(1000)"),
        only_variant("23", layer="Linear", out_features=17, why="the 17-way output (oxflower17) after the extra "
                     "Dense(1000), which takes the place of the paper's 1000-way layer"),
    ),
    builder=alexnet_tutorial,
))
