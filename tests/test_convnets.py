"""Tests for helpers.convnets: TinyVGG and its augmentation."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import convnets


def test_tiny_vgg_matches_notebook_03s_parameter_counts():
    assert convnets.tiny_vgg().count_params() == 31_101  # 10 filters, 2 blocks, one sigmoid output
    ten = convnets.tiny_vgg(num_outputs=10, augment=convnets.augmentation())
    assert ten.count_params() == 31_101 - 28_091 + 28_090 * 10 + 10
    assert ten.layers[0].name == "augmentation" and ten.layers[-1].units == 10
    wider = convnets.tiny_vgg(filters=32, blocks=3, image_size=(64, 64))
    assert [layer.filters for layer in wider.layers if hasattr(layer, "filters")] == [32] * 6
    assert wider.predict(np.zeros((1, 64, 64, 3), "float32"), verbose=0).shape == (1, 1)


def test_tiny_vgg_bad_inputs():
    with pytest.raises(ValueError, match="must be at least 1"):
        convnets.tiny_vgg(filters=0)
    with pytest.raises(ValueError, match="too small for 3 Conv-Conv-Pool blocks"):
        convnets.tiny_vgg(image_size=(20, 20), blocks=3)


def test_augmentation_leaves_out_what_is_asked_and_keeps_shapes():
    names = [type(layer).__name__ for layer in convnets.augmentation(rotation=0).layers]
    assert names == ["RandomFlip", "RandomZoom", "RandomTranslation"]
    images = np.full((2, 16, 16, 3), 100.0, "float32")
    assert convnets.augmentation()(images, training=True).shape == images.shape
    np.testing.assert_allclose(convnets.augmentation()(images, training=False), images)
    with pytest.raises(ValueError, match="must be 0 \\(left out\\) or more"):
        convnets.augmentation(zoom=-0.1)
    with pytest.raises(ValueError, match="does nothing"):
        convnets.augmentation(flip=False, rotation=0, zoom=0, translation=0)
