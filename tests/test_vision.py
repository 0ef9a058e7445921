"""Tests for helpers.vision: image folders, single-image prediction, throughput, Food-101."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from PIL import Image

from helpers import vision
from helpers.data import DataNotFoundError


def _jpeg(path, colour, size=(40, 30)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, format="JPEG")
    return path


@pytest.fixture
def folder(tmp_path):
    """train/<red|blue>/*.jpg with 3 images each, plus stray files."""
    root = tmp_path / "train"
    for index in range(3):
        _jpeg(root / "red" / f"{index}.jpg", (220, 20, 20))
        _jpeg(root / "blue" / f"{index}.jpg", (20, 20, 220))
    (root / ".DS_Store").write_bytes(b"\x00\x01Bud1")
    (root / "red" / ".DS_Store").write_bytes(b"\x00\x01Bud1")
    (root / "blue" / "notes.txt").write_text("not an image")
    return root


def test_image_files_ignores_stray_files(folder):
    files = vision.image_files(folder)
    assert len(files) == 6
    assert all(p.suffix == ".jpg" for p in files)


def test_image_files_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="No image folder at .*expected <folder>/<class name>"):
        vision.image_files(tmp_path / "nowhere")


def test_folder_dataset_batches_resized_images_and_skips_stray_files(folder):
    loaded = vision.image_folder_dataset(folder, image_size=(32, 32), batch_size=4, shuffle=False)
    assert loaded.class_names == ["blue", "red"]
    assert loaded.count == 6 and loaded.skipped == []
    batches = list(loaded.dataset)
    assert [int(x.shape[0]) for x, _ in batches] == [4, 2]
    images = np.concatenate([x.numpy() for x, _ in batches])
    labels = np.concatenate([y.numpy() for _, y in batches])
    assert images.shape == (6, 32, 32, 3) and images.dtype == np.float32
    # the blue folder (label 0) is blue, the red one red
    assert (images[labels == 0, ..., 2].mean() > 150) and (images[labels == 1, ..., 0].mean() > 150)


def test_folder_dataset_reports_and_skips_corrupt_jpegs(folder, capsys):
    (folder / "red" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")
    good = (folder / "blue" / "0.jpg").read_bytes()
    (folder / "blue" / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (folder / "blue" / "empty.png").write_bytes(b"")
    loaded = vision.image_folder_dataset(folder, image_size=(32, 32), batch_size=4, shuffle=True)
    out = capsys.readouterr().out
    assert "Skipping 3 image file(s) that cannot be decoded" in out
    assert "red/broken.jpg" in out and "blue/truncated.jpg" in out and "blue/empty.png" in out
    assert sorted(p.name for p in loaded.skipped) == ["broken.jpg", "empty.png", "truncated.jpg"]
    for _ in range(2):  # two epochs, no crash, only the 6 good images
        assert sum(int(x.shape[0]) for x, _ in loaded.dataset) == 6


def test_find_unreadable_images(folder):
    assert vision.find_unreadable_images(folder) == []
    bad = folder / "red" / "bad.jpg"
    bad.write_text("hello")
    assert vision.find_unreadable_images(folder) == [bad]


def test_folder_dataset_bad_inputs(folder, tmp_path):
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(ValueError, match="No images .* under .*expected <folder>/<class name>"):
        vision.image_folder_dataset(tmp_path / "empty")
    with pytest.raises(ValueError, match=r"image_size must be \(height, width\)"):
        vision.image_folder_dataset(folder, image_size=224)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        vision.image_folder_dataset(folder, batch_size=0)
    for path in vision.image_files(folder):
        path.write_bytes(b"junk")
    with pytest.raises(ValueError, match="Every image under .* is unreadable"):
        vision.image_folder_dataset(folder)


def test_folder_dataset_max_images_and_categorical(folder):
    loaded = vision.image_folder_dataset(
        folder, image_size=(16, 16), batch_size=8, label_mode="categorical", max_images=4, cache=False
    )
    ((images, labels),) = list(loaded.dataset)
    assert loaded.count == 4 and images.shape == (4, 16, 16, 3) and labels.shape == (4, 2)


def test_load_and_prep_image(folder):
    image = vision.load_and_prep_image(folder / "red" / "0.jpg", (24, 48))
    assert image.shape == (24, 48, 3) and image.dtype.name == "float32"
    assert 0 <= float(image.numpy().min()) and float(image.numpy().max()) <= 255


def test_load_and_prep_image_bad_inputs(folder):
    with pytest.raises(FileNotFoundError, match="No image file at"):
        vision.load_and_prep_image(folder / "red" / "missing.jpg")
    with pytest.raises(vision.UnreadableImageError, match="notes.txt cannot be decoded as an image"):
        vision.load_and_prep_image(folder / "blue" / "notes.txt")
    with pytest.raises(ValueError, match="positive sides"):
        vision.load_and_prep_image(folder / "red" / "0.jpg", (0, 10))


def _constant_model(outputs):
    inputs = keras.Input(shape=(8, 8, 3))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    dense = keras.layers.Dense(len(outputs), activation=None)
    y = dense(x)
    dense.set_weights([np.zeros((3, len(outputs))), np.asarray(outputs, dtype="float32")])
    return keras.Model(inputs, y)


def test_predict_image_binary_and_multiclass(folder):
    path = folder / "red" / "0.jpg"
    assert vision.predict_image(_constant_model([0.8]), path, ["pizza", "steak"], (8, 8)) == pytest.approx(
        ("steak", 0.8)
    )
    name, p = vision.predict_image(_constant_model([0.3]), path, ["pizza", "steak"], (8, 8))
    assert name == "pizza" and p == pytest.approx(0.7)
    name, p = vision.predict_image(_constant_model([0.1, 0.7, 0.2]), path, ["a", "b", "c"], (8, 8))
    assert name == "b" and p == pytest.approx(0.7)


def test_predict_image_wrong_class_names(folder):
    path = folder / "red" / "0.jpg"
    with pytest.raises(ValueError, match="outputs 3 probabilities but 2 class names"):
        vision.predict_image(_constant_model([0.1, 0.7, 0.2]), path, ["a", "b"], (8, 8))
    with pytest.raises(ValueError, match="one \\(sigmoid\\) output, so it needs 2 class names"):
        vision.predict_image(_constant_model([0.5]), path, ["a", "b", "c"], (8, 8))


def test_throughput_helpers(folder):
    loaded = vision.image_folder_dataset(folder, image_size=(16, 16), batch_size=2, shuffle=False)
    assert vision.images_per_second(loaded.dataset, warmup_batches=1) > 0
    assert vision.images_per_second(loaded.dataset, batches=1, warmup_batches=0) > 0
    assert vision.decode_and_resize_rate(vision.image_files(folder), (16, 16)) > 0
    with pytest.raises(ValueError, match="no batches left to time"):
        vision.images_per_second(loaded.dataset, warmup_batches=10)
    with pytest.raises(ValueError, match="batches >= 1"):
        vision.images_per_second(loaded.dataset, batches=0)
    with pytest.raises(ValueError, match="needs at least one image path"):
        vision.decode_and_resize_rate([])


def test_food101_data_dir_is_under_the_cache(data_env):
    data_dir, where = vision.food101_data_dir()
    assert data_dir == data_env / "tensorflow_datasets" and where == "absent"


def test_food101_fast_profile_uses_mock_data_loudly(data_env, fast, capsys):
    food = vision.load_food101(mock_examples=5)
    assert food.is_mock and len(food.class_names) == 101 and food.class_names[0] == "apple_pie"
    assert "GENERATED FIXTURE" in capsys.readouterr().out
    image, label = next(iter(food.train))
    assert image.dtype.name == "uint8" and image.shape[-1] == 3 and 0 <= int(label) < 101
    assert sum(1 for _ in food.test) == 5


def test_food101_full_profile_offline_says_where_to_put_it(data_env, full, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    with pytest.raises(DataNotFoundError, match="Food-101 is not prepared in .*downloads are off"):
        vision.load_food101()
    with pytest.raises(ValueError, match="mock_examples must be at least 1"):
        vision.load_food101(mock_examples=0)
