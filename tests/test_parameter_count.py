"""Tests for helpers.pretrained.parameter_count: trainable and frozen parameters of a model."""

from __future__ import annotations

import keras
import pytest

from helpers.pretrained import parameter_count


def test_parameter_count_splits_trainable_and_frozen():
    frozen = keras.layers.Dense(4, name="frozen")  # 3 * 4 + 4 = 16
    head = keras.layers.Dense(2, name="head")  # 4 * 2 + 2 = 10
    model = keras.Sequential([keras.Input(shape=(3,)), frozen, head])
    frozen.trainable = False
    assert parameter_count(model.trainable_weights) == 10
    assert parameter_count(model.non_trainable_weights) == 16
    assert parameter_count(model.weights) == model.count_params() == 26
    assert parameter_count([]) == 0


def test_parameter_count_bad_input():
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    message = r"needs a list of weights \(e.g. model.trainable_weights\), got an element of type Sequential"
    with pytest.raises(TypeError, match=message):
        parameter_count([model])
