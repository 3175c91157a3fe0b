"""CAM, Grad-CAM, the pointing game and safe weight loading. Known answers are
worked out by hand beside each test from the papers' definitions (Zhou et al.
2016 Eq. 2; Selvaraju et al. 2017 Eqs. 1-2 and Sec. 3.1; Zhang et al. 2016)."""

import json
import os

import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from archscope.cli import app
from archscope.errors import ArchscopeError
from archscope.explain.cam import Maps, cam, cam_head, default_layer, gradcam, pointing_game
from archscope.probe.weights import load_weights, read_weights, save_weights
from archscope.zoo import get_model

runner = CliRunner()


def _tiny():
    """1x1 conv with channel weights +1 and -1 (so A = [x, -x]), global
    average pooling, Linear(2 -> 3) with W = [[1, 0], [0, 1], [1, 1]], b = [0.5, 0, 0]."""
    conv = nn.Conv2d(1, 2, 1, bias=False)
    fc = nn.Linear(2, 3)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([1.0, -1.0]).view(2, 1, 1, 1))
        fc.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
        fc.bias.copy_(torch.tensor([0.5, 0.0, 0.0]))
    return nn.Sequential(conv, nn.AdaptiveAvgPool2d(1), nn.Flatten(), fc)


X = torch.arange(16.0).view(1, 1, 4, 4) / 10 - 0.5  # values -0.5 .. 1.0, maximum at (3, 3)


def test_cam_known_answer():
    m = _tiny()
    # CAM_c = sum_k W[c, k] A_k: class 0 -> x, class 1 -> -x, class 2 -> x - x = 0
    for c, expected in ((0, X[0, 0]), (1, -X[0, 0]), (2, torch.zeros(4, 4))):
        got = cam(m, X, torch.tensor([c]))
        assert torch.allclose(got.maps[0], expected, atol=1e-6), c
        assert got.map_size == (4, 4)
    # logits: mean(x) = 0.25 -> [0.25 + 0.5, -0.25, 0] -> predicted class 0
    assert cam(m, X).predicted.tolist() == [0] and cam(m, X).target.tolist() == [0]


def test_gradcam_of_a_cam_head_is_relu_cam_over_z():
    # Selvaraju et al. Sec. 3.1: dy_c/dA_k(i,j) = W[c,k] / Z, so alpha_k = W[c,k] / Z and
    # Grad-CAM = ReLU(sum_k W[c,k] A_k) / Z with Z = 16 positions
    m = _tiny()
    for c in (0, 1):
        g = gradcam(m, X, "0", torch.tensor([c]))
        assert torch.allclose(g.maps[0], torch.relu(cam(m, X, torch.tensor([c])).maps[0]) / 16, atol=1e-6)


def test_gradcam_survives_inplace_relu_after_the_layer():
    plain = _tiny()
    inplace = nn.Sequential(plain[0], nn.ReLU(inplace=True), *plain[1:])
    ref = nn.Sequential(plain[0], nn.ReLU(), *plain[1:])
    a = gradcam(inplace, X, "0", torch.tensor([0])).maps
    b = gradcam(ref, X, "0", torch.tensor([0])).maps
    assert torch.allclose(a, b) and a.abs().sum() > 0


def test_nin_style_head_is_cam_with_identity_weights():
    conv = nn.Conv2d(1, 3, 1)
    net = nn.Sequential(conv, nn.AdaptiveAvgPool2d(1), nn.Flatten())
    a, w, b, source = cam_head(net, X)
    assert torch.equal(w, torch.eye(3)) and source == "0"  # A is the convolution's output
    with torch.no_grad():
        assert torch.allclose(cam(net, X, torch.tensor([2])).maps[0], conv(X)[0, 2], atol=1e-6)


def test_cam_refuses_heads_it_does_not_fit():
    with pytest.raises(ArchscopeError, match="no global average pooling"):
        cam(get_model("lenet.d2l"), torch.zeros(1, 1, 28, 28))
    two = nn.Sequential(nn.Conv2d(1, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 4), nn.ReLU(),
                        nn.Linear(4, 2))
    with pytest.raises(ArchscopeError, match="2 linear layers"):
        cam(two, torch.zeros(1, 1, 8, 8))
    # a nonlinearity between the pooling and the linear layer breaks logits = W mean(A) + b
    bent = nn.Sequential(nn.Conv2d(1, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Tanh(), nn.Linear(4, 2))
    with pytest.raises(ArchscopeError, match="not W @ mean"):
        cam(bent, torch.randn(2, 1, 8, 8) * 5)


def test_layers_default_and_bad_name():
    m = get_model("resnet18")
    x = torch.zeros(1, 3, 64, 64)
    assert default_layer(m, x) == "layer4"  # the last block before global pooling
    # VGG: the conv stack, not the pooling/Identity after it; GoogLeNet: the last Inception module;
    # NiN: its last mlpconv block (a Sequential of three convolutions)
    assert default_layer(get_model("vgg16").eval(), torch.zeros(1, 3, 224, 224)) == "features"
    assert default_layer(get_model("googlenet").eval(), torch.zeros(1, 3, 224, 224)) == "inception5b"
    assert default_layer(get_model("nin").eval(), torch.zeros(1, 3, 32, 32)) == "6"
    with pytest.raises(ArchscopeError, match=r"no layer 'layer5'.*valid: stem\.0, .*layer4 and \d+ deeper ones"):
        gradcam(m, x, "layer5")


def test_pointing_game_by_hand():
    maps = torch.zeros(3, 4, 4)
    maps[0, 1, 1] = 1  # peak at (1, 1): inside the mask -> hit
    maps[1, 3, 3] = 1  # peak at (3, 3): outside -> miss
    maps[2, 0, 2] = 1  # peak at (0, 2): inside -> hit
    masks = torch.zeros(3, 4, 4, dtype=torch.bool)
    masks[:, :2, :] = True  # the top half: each object covers 8 of 16 pixels
    pg, hits = pointing_game(Maps("cam", "x", maps, torch.zeros(3), torch.zeros(3)), masks)
    assert hits.tolist() == [True, False, True] and pg.hits == 2 and pg.accuracy == pytest.approx(2 / 3)
    assert pg.chance == pytest.approx(0.5)
    # the centre pixel (2, 2) is in the bottom half: no object covers it
    assert pg.centre_baseline == 0.0


def test_aligned_upsampling_by_hand():
    from archscope.explain.cam import upsample

    m = torch.tensor([[[0.0, 1.0], [2.0, 3.0]]])  # value 2 * row + column: linear, so bilinear is exact
    # jump 2, feature 0 centred on pixel 0: pixel p reads feature p / 2, clamped to [0, 1]
    got = upsample(m, (4, 4), (2.0, (0.0, 0.0)))[0]
    f = (torch.arange(4.0) / 2).clamp(0, 1)
    assert torch.allclose(got, 2 * f[:, None] + f[None, :])
    # centred like a 2x2 pooling grid ((jump - 1) / 2 = 0.5) it is exactly torch's align_corners=False resize
    x = torch.randn(3, 5, 7)
    assert torch.allclose(upsample(x, (20, 28), (4.0, (1.5, 1.5))), upsample(x, (20, 28)), atol=1e-5)


# ---- weights ---------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_weights_round_trip_with_metadata(tmp_path, suffix):
    torch.manual_seed(0)
    a = get_model("lenet.d2l", activation="relu")
    path = save_weights(a, tmp_path / f"w{suffix}", {"model": "lenet.d2l", "overrides": {"activation": "relu"}})
    b = get_model("lenet.d2l", activation="relu")
    meta = load_weights(b, path)
    assert meta["overrides"] == {"activation": "relu"}
    assert all(torch.equal(a.state_dict()[k], v) for k, v in b.state_dict().items())
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


def test_plain_state_dict_accepted(tmp_path):
    m = get_model("lenet.d2l")
    torch.save(m.state_dict(), tmp_path / "plain.pth")
    sd, meta = read_weights(tmp_path / "plain.pth")
    assert meta == {} and set(sd) == set(m.state_dict())


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_pickled_code_is_refused(tmp_path):
    torch.save({"state_dict": {"x": torch.zeros(1)}, "payload": _Evil()}, tmp_path / "evil.pt")
    with pytest.raises(ArchscopeError, match="refusing to load .*weights_only=True"):
        read_weights(tmp_path / "evil.pt")


def test_mismatch_names_the_first_key_and_shapes(tmp_path):
    save_weights(get_model("lenet.d2l", conv1_kernel_size=3), tmp_path / "k3.safetensors")
    with pytest.raises(ArchscopeError, match=r"0\.weight has shape \(6, 1, 3, 3\) in the file, \(6, 1, 5, 5\)"):
        load_weights(get_model("lenet.d2l"), tmp_path / "k3.safetensors")
    sd = get_model("lenet.d2l").state_dict()
    torch.save({k: v for k, v in sd.items() if k != "9.bias"}, tmp_path / "missing.pt")
    with pytest.raises(ArchscopeError, match=r"9\.bias \(84,\) is missing from the file"):
        load_weights(get_model("lenet.d2l"), tmp_path / "missing.pt")
    torch.save({**sd, "extra.weight": torch.zeros(2)}, tmp_path / "extra.pt")
    with pytest.raises(ArchscopeError, match=r"the file has extra\.weight \(2,\)"):
        load_weights(get_model("lenet.d2l"), tmp_path / "extra.pt")
    (tmp_path / "junk.safetensors").write_bytes(b"not a header")
    with pytest.raises(ArchscopeError, match="not a readable safetensors file"):
        read_weights(tmp_path / "junk.safetensors")


# ---- end to end: probe --save, then cam ----------------------------------------

def test_probe_then_cam_points_well_above_chance(tmp_path):
    w = tmp_path / "resnet20.safetensors"
    r = runner.invoke(app, ["probe", "resnet20", "--device", "cpu", "--steps", "150", "--save", str(w)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["cam", "resnet20", "--weights", str(w), "--count", "128", "--show", "4",
                            "-o", str(tmp_path / "cam"), "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert {m["method"] for m in out["methods"]} == {"cam", "gradcam"}
    for m in out["methods"]:
        # the synthetic objects cover about 14% of a 32x32 image, and with --spread 0.7 (the default)
        # about 30% cover the centre; a trained net points at them far more often than a random
        # point or the centre would
        assert m["upsample"] == "aligned" and m["map_size"] == [8, 8]
        assert m["pointing_accuracy"] >= 2.5 * m["chance"], m
        assert m["pointing_accuracy"] >= m["centre_baseline"] + 0.15, m
    for name in ("cam.png", "gradcam.png", "cam.json", "cam.md"):
        assert (tmp_path / "cam" / name).stat().st_size > 0
    assert "![cam](cam.png)" in (tmp_path / "cam" / "cam.md").read_text()
    from PIL import Image

    with Image.open(tmp_path / "cam" / "cam.png") as im:
        assert im.format == "PNG" and im.width > 256


def test_cam_on_image_files_and_errors(tmp_path):
    from PIL import Image

    m = get_model("resnet20")
    save_weights(m, tmp_path / "w.pt", {"model": "resnet20", "input": [3, 32, 32]})
    for i in range(2):
        Image.new("RGB", (40, 30), (i * 100, 50, 200)).save(tmp_path / f"img{i}.png")
    r = runner.invoke(app, ["cam", "resnet20", "--weights", str(tmp_path / "w.pt"), "--method", "gradcam",
                            "--images", str(tmp_path / "img0.png"), "--images", str(tmp_path / "img1.png"),
                            "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert "gradcam" in r.stdout and (tmp_path / "out" / "gradcam.png").exists()
    assert not (tmp_path / "out" / "cam.png").exists()
    (tmp_path / "bad.png").write_text("no image")
    for args, msg in (
        (["--images", str(tmp_path / "bad.png")], "is not an image Pillow can read"),
        (["--images", str(tmp_path / "none.png")], "image not found"),
        (["--layer", "stage9"], "no layer 'stage9'"),
        (["--method", "lrp"], "--method must be cam, gradcam or both"),
    ):
        r = runner.invoke(app, ["cam", "resnet20", "--weights", str(tmp_path / "w.pt"), *args,
                                "-o", str(tmp_path / "o2")])
        assert r.exit_code == 2 and msg in r.output and "Traceback" not in r.output, (args, r.output)
    r = runner.invoke(app, ["cam", "resnet32", "--weights", str(tmp_path / "w.pt")])
    assert r.exit_code == 2 and "holds weights for resnet20, not resnet32" in r.output
    r = runner.invoke(app, ["cam", "lenet.d2l", "--method", "cam", "--weights", str(tmp_path / "none.pt")])
    assert r.exit_code == 2 and "weights file not found" in r.output


@pytest.mark.parametrize("name, layer, shape", [("resnet20", "stage2", (3, 32, 32)),
                                                ("lenet.d2l", "3", (1, 28, 28)),
                                                ("resnet18", "layer3", (3, 64, 64))])
def test_gradcam_equals_captum(name, layer, shape):
    """Captum's LayerGradCam (an independent implementation of the same
    equations) on a randomly initialised model, upsampled the same way."""
    captum_attr = pytest.importorskip("captum.attr")
    torch.manual_seed(0)
    m = get_model(name).eval()
    x = torch.randn(4, *shape)
    target = torch.tensor([0, 1, 2, 3])
    ours = gradcam(m, x, layer, target, how="bilinear").maps
    module = dict(m.named_modules())[layer]
    ref = captum_attr.LayerGradCam(m, module).attribute(x, target=target, relu_attributions=True)
    ref = captum_attr.LayerAttribution.interpolate(ref, shape[1:], interpolate_mode="bilinear").squeeze(1)
    assert ours.abs().max() > 0
    assert torch.allclose(ours, ref, rtol=1e-4, atol=1e-6 * float(ref.detach().abs().max()))
