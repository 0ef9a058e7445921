"""Tests for helpers.image_folders: folder pipelines, stratified validation splits, thumbnails."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import image_folders
from tests.conftest import write_jpeg


def test_image_files_ignores_stray_files(colour_folder):
    files = image_folders.image_files(colour_folder)
    assert len(files) == 6
    assert all(p.suffix == ".jpg" for p in files)


def test_image_files_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="No image folder at .*expected <folder>/<class name>"):
        image_folders.image_files(tmp_path / "nowhere")


def test_folder_dataset_batches_resized_images_and_skips_stray_files(colour_folder):
    loaded = image_folders.image_folder_dataset(
        colour_folder, image_size=(32, 32), batch_size=4, shuffle=False
    )
    assert loaded.class_names == ["blue", "red"]
    assert loaded.count == 6 and loaded.skipped == []
    batches = list(loaded.dataset)
    assert [int(x.shape[0]) for x, _ in batches] == [4, 2]
    images = np.concatenate([x.numpy() for x, _ in batches])
    labels = np.concatenate([y.numpy() for _, y in batches])
    assert images.shape == (6, 32, 32, 3) and images.dtype == np.float32
    # the blue folder (label 0) is blue, the red one red
    assert (images[labels == 0, ..., 2].mean() > 150) and (images[labels == 1, ..., 0].mean() > 150)


def test_folder_dataset_reports_and_skips_corrupt_jpegs(colour_folder, capsys):
    (colour_folder / "red" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")
    good = (colour_folder / "blue" / "0.jpg").read_bytes()
    (colour_folder / "blue" / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (colour_folder / "blue" / "empty.png").write_bytes(b"")
    loaded = image_folders.image_folder_dataset(
        colour_folder, image_size=(32, 32), batch_size=4, shuffle=True
    )
    out = capsys.readouterr().out
    assert "Skipping 3 image file(s) that cannot be decoded" in out
    assert "red/broken.jpg" in out and "blue/truncated.jpg" in out and "blue/empty.png" in out
    assert sorted(p.name for p in loaded.skipped) == ["broken.jpg", "empty.png", "truncated.jpg"]
    for _ in range(2):  # two epochs, no crash, only the 6 good images
        assert sum(int(x.shape[0]) for x, _ in loaded.dataset) == 6


def test_find_unreadable_images(colour_folder):
    assert image_folders.find_unreadable_images(colour_folder) == []
    bad = colour_folder / "red" / "bad.jpg"
    bad.write_text("hello")
    assert image_folders.find_unreadable_images(colour_folder) == [bad]


def test_folder_dataset_bad_inputs(colour_folder, tmp_path):
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(ValueError, match="No images .* under .*expected <folder>/<class name>"):
        image_folders.image_folder_dataset(tmp_path / "empty")
    with pytest.raises(ValueError, match=r"image_size must be \(height, width\)"):
        image_folders.image_folder_dataset(colour_folder, image_size=224)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        image_folders.image_folder_dataset(colour_folder, batch_size=0)
    for path in image_folders.image_files(colour_folder):
        path.write_bytes(b"junk")
    with pytest.raises(ValueError, match="Every image under .* is unreadable"):
        image_folders.image_folder_dataset(colour_folder)


def test_folder_dataset_max_images_and_categorical(colour_folder):
    loaded = image_folders.image_folder_dataset(
        colour_folder, image_size=(16, 16), batch_size=8, label_mode="categorical", max_images=4, cache=False
    )
    ((images, labels),) = list(loaded.dataset)
    assert loaded.count == 4 and images.shape == (4, 16, 16, 3) and labels.shape == (4, 2)


@pytest.fixture
def three_classes(tmp_path):
    """train/<a|b|c>/*.jpg with 10, 5 and 2 images: unbalanced, one class barely splittable."""
    root = tmp_path / "train"
    for name, n, colour in (("a", 10, (220, 20, 20)), ("b", 5, (20, 220, 20)), ("c", 2, (20, 20, 220))):
        for index in range(n):
            write_jpeg(root / name / f"{index:02d}.jpg", colour)
    (root / ".DS_Store").write_bytes(b"\x00\x01Bud1")
    return root


def test_stratified_split_holds_every_class_and_no_image_twice(three_classes):
    train, validation = image_folders.stratified_validation_split(three_classes, 0.2, seed=0)
    classes = lambda files: sorted(p.parent.name for p in files)  # noqa: E731
    assert classes(validation) == ["a", "a", "b", "c"]  # round(2.0), round(1.0), at least 1
    assert classes(train) == ["a"] * 8 + ["b"] * 4 + ["c"]
    assert not set(train) & set(validation)
    assert sorted(train + validation) == image_folders.image_files(three_classes)
    # the same seed picks the same images; another seed (usually) others
    assert image_folders.stratified_validation_split(three_classes, 0.2, seed=0) == (train, validation)
    picks = {
        tuple(image_folders.stratified_validation_split(three_classes, 0.2, seed=s)[1]) for s in range(5)
    }
    assert len(picks) > 1


def test_stratified_split_keeps_one_training_image_per_class(three_classes):
    train, validation = image_folders.stratified_validation_split(three_classes, 0.9, seed=0)
    assert sorted({p.parent.name for p in train}) == ["a", "b", "c"]
    assert sorted({p.parent.name for p in validation}) == ["a", "b", "c"]


def test_stratified_split_bad_inputs(three_classes, tmp_path):
    for fraction in (0, 1, -0.1, 1.5):
        with pytest.raises(ValueError, match="validation_fraction must be between 0 and 1"):
            image_folders.stratified_validation_split(three_classes, fraction)
    (three_classes / "c" / "01.jpg").unlink()
    (three_classes / "d").mkdir()
    with pytest.raises(ValueError, match=r"at least 2 images .*'c' \(1\), 'd' \(0\)\. Add images or remove"):
        image_folders.stratified_validation_split(three_classes, 0.2)
    (tmp_path / "flat").mkdir()
    with pytest.raises(ValueError, match="No class sub-folders in"):
        image_folders.stratified_validation_split(tmp_path / "flat", 0.2)
    with pytest.raises(FileNotFoundError, match="No image folder at"):
        image_folders.stratified_validation_split(tmp_path / "nowhere", 0.2)


def test_image_folder_split_pipelines(three_classes):
    train, validation = image_folders.image_folder_split(
        three_classes, 0.2, image_size=(16, 16), batch_size=4, seed=0
    )
    assert train.class_names == validation.class_names == ["a", "b", "c"]
    assert (train.count, validation.count) == (13, 4)
    for _ in range(2):  # two epochs of the cached pipelines
        labels = np.concatenate([y.numpy() for _, y in validation.dataset])
        assert sorted(labels.tolist()) == [0, 0, 1, 2]  # every class in the validation set
        images = np.concatenate([x.numpy() for x, _ in train.dataset])
        assert images.shape == (13, 16, 16, 3) and images.dtype == np.float32
    # the labels follow the folders: class "a" is red, "c" blue
    batches = list(train.dataset)
    images = np.concatenate([x.numpy() for x, _ in batches])
    labels = np.concatenate([y.numpy() for _, y in batches])
    assert images[labels == 0, ..., 0].mean() > 150 and images[labels == 2, ..., 2].mean() > 150


def test_image_folder_split_reports_unreadable_images(three_classes, capsys):
    (three_classes / "a" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a JPEG")
    train, validation = image_folders.image_folder_split(three_classes, 0.2, image_size=(8, 8), seed=0)
    assert "Skipping 1 image file(s) that cannot be decoded: a/broken.jpg" in capsys.readouterr().out
    assert train.count + validation.count == 17
    yielded = [int(x.shape[0]) for pipeline in (train, validation) for x, _ in pipeline.dataset]
    assert sum(yielded) == 17


def test_image_files_dataset_label_modes_and_bad_inputs(three_classes):
    files = image_folders.image_files(three_classes / "a")[:2] + image_folders.image_files(
        three_classes / "c"
    )
    binary = image_folders.image_files_dataset(
        files, ["a", "c"], (8, 8), 8, label_mode="binary", shuffle=False
    )
    ((_, labels),) = list(binary.dataset)
    assert labels.shape == (4, 1) and labels.numpy().ravel().tolist() == [0, 0, 1, 1]
    categorical = image_folders.image_files_dataset(
        files, ["a", "b", "c"], (8, 8), 8, label_mode="categorical"
    )
    ((_, labels),) = list(categorical.dataset)
    assert labels.shape == (4, 3)
    with pytest.raises(ValueError, match=r"folders \['c'\] that are not among class_names"):
        image_folders.image_files_dataset(files, ["a", "b"])
    with pytest.raises(ValueError, match="needs at least one image file"):
        image_folders.image_files_dataset([], ["a"])
    with pytest.raises(ValueError, match="label_mode must be 'int', 'categorical' or 'binary'"):
        image_folders.image_files_dataset(files, ["a", "c"], label_mode="sparse")
    with pytest.raises(ValueError, match="label_mode='binary' needs exactly 2 classes"):
        image_folders.image_files_dataset(files, ["a", "b", "c"], label_mode="binary")


def test_thumbnails_batched_and_one_at_a_time(three_classes):
    loaded = image_folders.image_folder_dataset(
        three_classes, image_size=(32, 32), batch_size=4, shuffle=False
    )
    features, labels = image_folders.thumbnails(loaded.dataset, size=4)
    assert features.shape == (17, 4 * 4 * 3) and labels.tolist() == [0] * 10 + [1] * 5 + [2] * 2
    assert 0.0 <= features.min() and features.max() <= 1.0
    assert features[labels == 0].reshape(-1, 4, 4, 3)[..., 0].mean() > 0.6  # "a" is red
    # one image at a time, uint8 of different sizes (as TFDS gives them), at most 3 of them
    import tensorflow as tf

    single = tf.data.Dataset.from_tensor_slices(tf.zeros((5, 20, 30, 3), "uint8")).map(lambda x: (x, 1))
    features, labels = image_folders.thumbnails(single, size=2, max_images=3)
    assert features.shape == (3, 12) and labels.tolist() == [1, 1, 1]
    # one-hot labels become class numbers
    categorical = image_folders.image_folder_dataset(
        three_classes, (8, 8), 8, label_mode="categorical", shuffle=False
    )
    assert image_folders.thumbnails(categorical.dataset, size=2)[1].tolist() == [0] * 10 + [1] * 5 + [2] * 2


def test_thumbnails_bad_inputs():
    import tensorflow as tf

    images = tf.data.Dataset.from_tensor_slices((tf.zeros((2, 4, 4, 3)), [0, 1])).batch(2)
    with pytest.raises(ValueError, match="size and max_images must be positive"):
        image_folders.thumbnails(images, size=0)
    with pytest.raises(ValueError, match="3-D or 4-D images, got rank 2"):
        image_folders.thumbnails(tf.data.Dataset.from_tensor_slices((tf.zeros((2, 4, 4)), [0, 1])))
    with pytest.raises(ValueError, match="empty dataset"):
        image_folders.thumbnails(images.take(0))
