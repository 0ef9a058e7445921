"""Tests for the generated Food-101 image-folder fixtures."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from helpers.data.fixtures.food import (
    FOOD_FIXTURE_LAYOUT,
    PIZZA_STEAK_CLASSES,
    TEN_FOOD_CLASSES,
    food_image,
    write_food_folders,
)
from helpers.data.registry import get_entry


def test_layout_covers_every_food_registry_entry():
    for name in FOOD_FIXTURE_LAYOUT:
        entry = get_entry(name)
        assert entry.fixture == "helpers.data.fixtures.food:write_food_folders"
        assert entry.files[0].path == name


def test_pizza_steak_writes_real_jpegs_in_the_real_layout(tmp_path):
    entry = get_entry("pizza_steak")
    write_food_folders(tmp_path, np.random.default_rng(0), entry)
    base = tmp_path / "pizza_steak"
    assert sorted(p.name for p in base.iterdir()) == ["test", "train"]
    classes, n_train, n_test = FOOD_FIXTURE_LAYOUT["pizza_steak"]
    assert classes == PIZZA_STEAK_CLASSES
    for split, count in (("train", n_train), ("test", n_test)):
        assert sorted(p.name for p in (base / split).iterdir()) == sorted(classes)
        for class_name in classes:
            files = sorted((base / split / class_name).glob("*.jpg"))
            assert len(files) == count
            with Image.open(files[0]) as image:
                assert image.format == "JPEG"
                assert image.mode == "RGB"
                assert 256 <= min(image.size) and max(image.size) <= 512


def test_ten_classes_entries_share_the_class_list(tmp_path):
    entry = get_entry("10_food_classes_1_percent")
    write_food_folders(tmp_path, np.random.default_rng(0), entry)
    for split in ("train", "test"):
        found = sorted(p.name for p in (tmp_path / entry.name / split).iterdir())
        assert found == sorted(TEN_FOOD_CLASSES)
    sizes = [
        FOOD_FIXTURE_LAYOUT[n][1]
        for n in ("10_food_classes_1_percent", "10_food_classes_10_percent", "10_food_classes_all_data")
    ]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]  # 1% < 10% < 100%


def test_classes_differ_visibly():
    rng = np.random.default_rng(0)
    means = {c: food_image(c, rng).reshape(-1, 3).mean(axis=0) for c in TEN_FOOD_CLASSES}
    for a in TEN_FOOD_CLASSES:
        for b in TEN_FOOD_CLASSES:
            if a < b:
                assert np.abs(means[a] - means[b]).max() > 10, (a, b)


def test_fixture_is_reproducible(tmp_path):
    entry = get_entry("pizza_steak")
    write_food_folders(tmp_path / "a", np.random.default_rng(3), entry)
    write_food_folders(tmp_path / "b", np.random.default_rng(3), entry)
    a = (tmp_path / "a/pizza_steak/train/pizza/0000.jpg").read_bytes()
    b = (tmp_path / "b/pizza_steak/train/pizza/0000.jpg").read_bytes()
    assert a == b


def test_rejects_an_entry_that_is_not_a_food_subset(tmp_path):
    with pytest.raises(ValueError, match="only the food image folders"):
        write_food_folders(tmp_path, np.random.default_rng(0), get_entry("insurance"))


def test_rejects_an_unknown_class():
    with pytest.raises(ValueError, match="No fixture look for class 'tacos'; known classes"):
        food_image("tacos", np.random.default_rng(0))


def test_fast_profile_offline_fetch_writes_the_folders(offline_fast, capsys):
    from helpers import data

    fetched = data.fetch("pizza_steak")
    assert fetched.is_fixture
    assert "GENERATED FIXTURE" in capsys.readouterr().out
    assert (fetched.path / "train" / "steak").is_dir()


def test_every_training_folder_can_give_each_class_to_validation(tmp_path):
    """The notebooks carve a stratified validation set out of the training folders: every class
    needs at least one image on each side, in the fixtures as in the real data."""
    from helpers.image_folders import stratified_validation_split

    entry = get_entry("10_food_classes_10_percent")
    write_food_folders(tmp_path, np.random.default_rng(0), entry)
    train, validation = stratified_validation_split(tmp_path / entry.name / "train", 0.1, seed=42)
    assert sorted({p.parent.name for p in validation}) == sorted(TEN_FOOD_CLASSES)
    assert sorted({p.parent.name for p in train}) == sorted(TEN_FOOD_CLASSES)
    for name, (_, n_train, _) in FOOD_FIXTURE_LAYOUT.items():
        assert n_train >= 2, name
