"""Registry behaviour: names, aliases, globbing, knobs and their errors."""

import pytest

from archscope.errors import ArchscopeError, UnknownModelError
from archscope.zoo import get_model, list_models, model_info


def test_unknown_name_suggests_the_closest():
    with pytest.raises(UnknownModelError) as e:
        model_info("resnet35")
    assert "resnet34" in e.value.suggestions
    assert str(e.value).startswith("unknown model 'resnet35'")


def test_aliases_and_case():
    assert model_info("googlenet").name == "inception_v1"
    assert model_info("GoogLeNet.Torchvision").name == "inception_v1.torchvision"
    assert model_info("vgg16.paper").name == "vgg16"
    assert model_info("vgg_d").name == "vgg16"


def test_list_models_glob_substring_and_natural_order():
    assert list_models("resnet1*") == ["resnet18", "resnet18.d2l", "resnet18.torchvision", "resnet101",
                                       "resnet101.torchvision", "resnet110", "resnet110.keras", "resnet152",
                                       "resnet152.torchvision", "resnet1202", "resnet1202.keras"]
    assert list_models("tutorial") == ["alexnet.tutorial", "inception_v1.tutorial", "lenet.tutorial",
                                       "resnet34.tutorial", "vgg16.tutorial"]
    assert set(list_models(source="keras")) >= {"resnet50.keras", "resnet20.keras", "preresnet164.keras"}
    assert list_models("no-such-thing") == []


def test_every_variant_tag_names_its_source():
    for name in list_models():
        info = model_info(name)
        assert ("." in name) == (info.source != "paper"), name
        if "." in name:
            assert name.split(".")[1] == info.source


def test_free_knobs_override():
    m = get_model("resnet18", num_classes=7, in_channels=1, device="meta")
    assert m.fc.out_features == 7 and m.stem[0].in_channels == 1


def test_pinned_knob_cannot_be_changed():
    with pytest.raises(ArchscopeError, match="pins stride_on='3x3'"):
        get_model("resnet50.torchvision", stride_on="1x1")
    get_model("resnet50.torchvision", stride_on="3x3", device="meta")  # same value is fine


def test_unknown_knob_lists_the_valid_ones():
    with pytest.raises(ArchscopeError, match="has no knob 'widht'.*num_classes"):
        get_model("vgg16", widht=2)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_bad_num_classes(bad):
    with pytest.raises(ArchscopeError, match="num_classes must be a positive integer"):
        get_model("lenet.d2l", num_classes=bad)


def test_bad_activation_is_a_clear_error():
    with pytest.raises(ArchscopeError, match="unknown activation 'swish'"):
        get_model("lenet.d2l", activation="swish")


def test_meta_build_leaves_init_functions_intact():
    import torch
    from torch.nn import init
    before = init.kaiming_normal_
    get_model("resnet18", device="meta")
    assert init.kaiming_normal_ is before
    t = torch.zeros(3, 3)
    init.ones_(t)
    assert t.sum() == 9


def test_googlenet_is_one_canonical_name_with_aliases():
    """Issue 29 item 6: the claims say googlenet.torchvision, `archscope list` says inception_v1.torchvision.
    The canonical names are inception_v1.* (Szegedy et al. 2015 call the architecture Inception, GoogLeNet its
    ILSVRC 2014 incarnation); each has its googlenet.* alias, which resolves, builds and lists."""
    variants = [n for n in list_models() if n.split(".")[0] == "inception_v1"]
    assert variants == ["inception_v1", "inception_v1.torchvision", "inception_v1.tutorial"]
    for name in variants:
        alias = name.replace("inception_v1", "googlenet")
        assert alias in model_info(name).aliases and model_info(alias).name == name
    assert list_models("googlenet") == variants  # an alias matches: its canonical name is listed
    assert list_models("googlenet.torch*") == ["inception_v1.torchvision"]


def test_aliases_never_shadow_a_canonical_name():
    names = set(list_models())
    for name in names:
        for alias in model_info(name).aliases:
            assert alias not in names and model_info(alias).name == name


def test_cli_list_and_summary_accept_the_alias():
    import json

    from typer.testing import CliRunner

    from archscope.cli import app

    r = CliRunner().invoke(app, ["list", "googlenet"])
    assert r.exit_code == 0 and "inception_v1.torchvision" in r.stdout
    r = CliRunner().invoke(app, ["summary", "googlenet.torchvision", "-f", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["model"] == "inception_v1.torchvision"
