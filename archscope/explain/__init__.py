"""What a trained network looks at: CAM, Grad-CAM and the pointing game."""

from archscope.explain.cam import Maps, cam, default_layer, feature_layers, gradcam, pointing_game

__all__ = ["cam", "gradcam", "pointing_game", "feature_layers", "default_layer", "Maps"]
