"""Tests for helpers.food101: Food-101 through TFDS, mock data in the fast profile."""

from __future__ import annotations

import pytest

from helpers import food101
from helpers.data import DataNotFoundError


def test_food101_data_dir_is_under_the_cache(data_env):
    data_dir, where = food101.food101_data_dir()
    assert data_dir == data_env / "tensorflow_datasets" and where == "absent"


def test_food101_fast_profile_uses_mock_data_loudly(data_env, fast, capsys):
    food = food101.load_food101(mock_examples=5)
    assert food.is_mock and len(food.class_names) == 101 and food.class_names[0] == "apple_pie"
    assert "GENERATED FIXTURE" in capsys.readouterr().out
    image, label = next(iter(food.train))
    assert image.dtype.name == "uint8" and image.shape[-1] == 3 and 0 <= int(label) < 101
    assert sum(1 for _ in food.test) == 5


def test_food101_full_profile_offline_says_where_to_put_it(data_env, full, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    with pytest.raises(DataNotFoundError, match="Food-101 is not prepared in .*downloads are off"):
        food101.load_food101()
    with pytest.raises(ValueError, match="mock_examples must be at least 1"):
        food101.load_food101(mock_examples=0)


def test_food101_validation_slice(data_env, fast):
    food = food101.load_food101(mock_examples=4, validation_percent=10)
    assert food.validation is not None
    image, label = next(iter(food.validation))
    assert image.dtype.name == "uint8" and 0 <= int(label) < 101
    assert food101.load_food101(mock_examples=4).validation is None
    for bad in (-1, 100, 12.5):
        with pytest.raises(ValueError, match="validation_percent must be a whole number from 0"):
            food101.load_food101(validation_percent=bad)
