"""Models built from torch.nn alone (no torchvision, no timm), for the
crosscheck tests and benchmarks/external_models.py's fallback list
(`archscope summary tests/data/nn_models.py:TinyViT --input 3x32x32 --crosscheck`).

Each takes an image-shaped input (the CLI's CxHxW) and turns it into tokens
itself where it needs them, so that one `--input` drives it."""

import torch
import torch.nn.functional as F
from torch import nn


class TinyViT(nn.Module):
    """Patch embedding (a strided conv), a learned position embedding, two
    nn.TransformerEncoderLayer blocks, a final LayerNorm, mean pooling and a
    linear head: ViT's shape (Dosovitskiy et al. 2021, Sec. 3.1) at toy size."""

    def __init__(self, dim=32, heads=4, mlp=64, patch=8, image=32, classes=10, layers=2):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, patch, stride=patch)
        self.pos = nn.Parameter(torch.zeros(1, (image // patch) ** 2, dim))
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(dim, heads, mlp, dropout=0.0, batch_first=True) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2) + self.pos  # (B, N, dim)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x).mean(1))


class SelfAttention(nn.Module):
    """One nn.MultiheadAttention over the pixels as tokens: (B, C, H, W) ->
    (B, H*W, C). With batch_first=True it takes torch's fused fast path in
    eval mode without grad; with batch_first=False it never does."""

    def __init__(self, dim=16, heads=4, batch_first=True):
        super().__init__()
        self.batch_first = batch_first
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=batch_first)

    def forward(self, x):
        x = x.flatten(2).transpose(1, 2)  # (B, N, C)
        if not self.batch_first:
            x = x.transpose(0, 1)  # (N, B, C)
        out, _ = self.attn(x, x, x)
        return out


def self_attention_seq_first():
    return SelfAttention(batch_first=False)


class SDPAttention(nn.Module):
    """qkv Linear, F.scaled_dot_product_attention, output Linear: how timm's
    ViT Attention is written (timm/models/vision_transformer.py, fused_attn)."""

    def __init__(self, dim=16, heads=2):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, c = x.shape[:2]
        x = x.flatten(2).transpose(1, 2)  # (B, N, C)
        n = x.shape[1]
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        x = F.scaled_dot_product_attention(q, k, v)  # (B, heads, N, head_dim)
        return self.proj(x.transpose(1, 2).reshape(b, n, c))


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.gn = nn.GroupNorm(2, 8)
        self.up = nn.Upsample(scale_factor=2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):  # (B, 3, 16, 16)
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))  # (B, 8, 8, 8)
        x = self.gn(self.conv2(self.conv2(x)))  # the same conv twice
        return self.fc(self.gap(self.up(x)).flatten(1))  # up: (B, 8, 16, 16)


class ConvNeXtBlock(nn.Module):
    """ConvNeXt's block (Liu et al. 2022, Fig. 4): 7x7 depthwise conv, LayerNorm and two Linears on
    channels-last (B, H, W, C), layer scale, residual."""

    def __init__(self, c=16):
        super().__init__()
        self.dw = nn.Conv2d(c, c, 7, padding=3, groups=c)
        self.norm = nn.LayerNorm(c)
        self.fc1, self.act, self.fc2 = nn.Linear(c, 4 * c), nn.GELU(), nn.Linear(4 * c, c)
        self.gamma = nn.Parameter(torch.ones(c))

    def forward(self, x):
        y = self.dw(x).permute(0, 2, 3, 1)  # (B, H, W, C)
        return x + (self.fc2(self.act(self.fc1(self.norm(y)))) * self.gamma).permute(0, 3, 1, 2)


class LSTMNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm, self.fc = nn.LSTM(8, 12, batch_first=True), nn.Linear(12, 3)

    def forward(self, x):  # (B, 1, T, 8)
        out, _ = self.lstm(x[:, 0])
        return self.fc(out[:, -1])


class ImageAndTokens(nn.Module):
    """Two inputs, an image and token ids (as a captioning or CLIP-style model takes them): a conv
    over the image, an embedding of the tokens, their pooled features added, a linear head."""

    def __init__(self, num_classes=10, vocab=100, dim=16):
        super().__init__()
        self.conv = nn.Conv2d(3, dim, 3)
        self.embed = nn.Embedding(vocab, dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, image, tokens):
        return self.head(self.conv(image).mean((2, 3)) + self.embed(tokens).mean(1))


class TokenClassifier(nn.Module):
    """Token ids only: embedding, one encoder layer, mean over tokens, a linear head."""

    def __init__(self, vocab=1000, dim=32, num_classes=4):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.encoder = nn.TransformerEncoderLayer(dim, 4, 64, dropout=0.0, batch_first=True)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, tokens):
        return self.head(self.encoder(self.embed(tokens)).mean(1))
