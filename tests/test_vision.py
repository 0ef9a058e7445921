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


# --- validation split, file-list pipelines, thumbnails ---------------------------------


@pytest.fixture
def three_classes(tmp_path):
    """train/<a|b|c>/*.jpg with 10, 5 and 2 images: unbalanced, one class barely splittable."""
    root = tmp_path / "train"
    for name, n, colour in (("a", 10, (220, 20, 20)), ("b", 5, (20, 220, 20)), ("c", 2, (20, 20, 220))):
        for index in range(n):
            _jpeg(root / name / f"{index:02d}.jpg", colour)
    (root / ".DS_Store").write_bytes(b"\x00\x01Bud1")
    return root


def test_stratified_split_holds_every_class_and_no_image_twice(three_classes):
    train, validation = vision.stratified_validation_split(three_classes, 0.2, seed=0)
    classes = lambda files: sorted(p.parent.name for p in files)  # noqa: E731
    assert classes(validation) == ["a", "a", "b", "c"]  # round(2.0), round(1.0), at least 1
    assert classes(train) == ["a"] * 8 + ["b"] * 4 + ["c"]
    assert not set(train) & set(validation)
    assert sorted(train + validation) == vision.image_files(three_classes)
    # the same seed picks the same images; another seed (usually) others
    assert vision.stratified_validation_split(three_classes, 0.2, seed=0) == (train, validation)
    picks = {tuple(vision.stratified_validation_split(three_classes, 0.2, seed=s)[1]) for s in range(5)}
    assert len(picks) > 1


def test_stratified_split_keeps_one_training_image_per_class(three_classes):
    train, validation = vision.stratified_validation_split(three_classes, 0.9, seed=0)
    assert sorted({p.parent.name for p in train}) == ["a", "b", "c"]
    assert sorted({p.parent.name for p in validation}) == ["a", "b", "c"]


def test_stratified_split_bad_inputs(three_classes, tmp_path):
    for fraction in (0, 1, -0.1, 1.5):
        with pytest.raises(ValueError, match="validation_fraction must be between 0 and 1"):
            vision.stratified_validation_split(three_classes, fraction)
    (three_classes / "c" / "01.jpg").unlink()
    (three_classes / "d").mkdir()
    with pytest.raises(ValueError, match=r"at least 2 images .*'c' \(1\), 'd' \(0\)\. Add images or remove"):
        vision.stratified_validation_split(three_classes, 0.2)
    (tmp_path / "flat").mkdir()
    with pytest.raises(ValueError, match="No class sub-folders in"):
        vision.stratified_validation_split(tmp_path / "flat", 0.2)
    with pytest.raises(FileNotFoundError, match="No image folder at"):
        vision.stratified_validation_split(tmp_path / "nowhere", 0.2)


def test_image_folder_split_pipelines(three_classes):
    train, validation = vision.image_folder_split(
        three_classes, 0.2, image_size=(16, 16), batch_size=4, seed=0)
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
    train, validation = vision.image_folder_split(three_classes, 0.2, image_size=(8, 8), seed=0)
    assert "Skipping 1 image file(s) that cannot be decoded: a/broken.jpg" in capsys.readouterr().out
    assert train.count + validation.count == 17
    yielded = [int(x.shape[0]) for pipeline in (train, validation) for x, _ in pipeline.dataset]
    assert sum(yielded) == 17


def test_image_files_dataset_label_modes_and_bad_inputs(three_classes):
    files = vision.image_files(three_classes / "a")[:2] + vision.image_files(three_classes / "c")
    binary = vision.image_files_dataset(files, ["a", "c"], (8, 8), 8, label_mode="binary", shuffle=False)
    ((_, labels),) = list(binary.dataset)
    assert labels.shape == (4, 1) and labels.numpy().ravel().tolist() == [0, 0, 1, 1]
    categorical = vision.image_files_dataset(files, ["a", "b", "c"], (8, 8), 8, label_mode="categorical")
    ((_, labels),) = list(categorical.dataset)
    assert labels.shape == (4, 3)
    with pytest.raises(ValueError, match=r"folders \['c'\] that are not among class_names"):
        vision.image_files_dataset(files, ["a", "b"])
    with pytest.raises(ValueError, match="needs at least one image file"):
        vision.image_files_dataset([], ["a"])
    with pytest.raises(ValueError, match="label_mode must be 'int', 'categorical' or 'binary'"):
        vision.image_files_dataset(files, ["a", "c"], label_mode="sparse")
    with pytest.raises(ValueError, match="label_mode='binary' needs exactly 2 classes"):
        vision.image_files_dataset(files, ["a", "b", "c"], label_mode="binary")


def test_thumbnails_batched_and_one_at_a_time(three_classes):
    loaded = vision.image_folder_dataset(three_classes, image_size=(32, 32), batch_size=4, shuffle=False)
    features, labels = vision.thumbnails(loaded.dataset, size=4)
    assert features.shape == (17, 4 * 4 * 3) and labels.tolist() == [0] * 10 + [1] * 5 + [2] * 2
    assert 0.0 <= features.min() and features.max() <= 1.0
    assert features[labels == 0].reshape(-1, 4, 4, 3)[..., 0].mean() > 0.6  # "a" is red
    # one image at a time, uint8 of different sizes (as TFDS gives them), at most 3 of them
    import tensorflow as tf

    single = tf.data.Dataset.from_tensor_slices(tf.zeros((5, 20, 30, 3), "uint8")).map(lambda x: (x, 1))
    features, labels = vision.thumbnails(single, size=2, max_images=3)
    assert features.shape == (3, 12) and labels.tolist() == [1, 1, 1]
    # one-hot labels become class numbers
    categorical = vision.image_folder_dataset(
        three_classes, (8, 8), 8, label_mode="categorical", shuffle=False)
    assert vision.thumbnails(categorical.dataset, size=2)[1].tolist() == [0] * 10 + [1] * 5 + [2] * 2


def test_thumbnails_bad_inputs():
    import tensorflow as tf

    images = tf.data.Dataset.from_tensor_slices((tf.zeros((2, 4, 4, 3)), [0, 1])).batch(2)
    with pytest.raises(ValueError, match="size and max_images must be positive"):
        vision.thumbnails(images, size=0)
    with pytest.raises(ValueError, match="3-D or 4-D images, got rank 2"):
        vision.thumbnails(tf.data.Dataset.from_tensor_slices((tf.zeros((2, 4, 4)), [0, 1])))
    with pytest.raises(ValueError, match="empty dataset"):
        vision.thumbnails(images.take(0))


def test_food101_validation_slice(data_env, fast):
    food = vision.load_food101(mock_examples=4, validation_percent=10)
    assert food.validation is not None
    image, label = next(iter(food.validation))
    assert image.dtype.name == "uint8" and 0 <= int(label) < 101
    assert vision.load_food101(mock_examples=4).validation is None
    for bad in (-1, 100, 12.5):
        with pytest.raises(ValueError, match="validation_percent must be a whole number from 0"):
            vision.load_food101(validation_percent=bad)


def _softmax_model(classes=3):
    """Predicts from the mean red, green and blue of an 8x8 image: red -> 0, green -> 1, blue -> 2."""
    inputs = keras.Input(shape=(8, 8, 3))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    dense = keras.layers.Dense(classes, activation="softmax")
    outputs = dense(x)
    dense.set_weights([np.eye(3, classes, dtype="float32") / 100, np.zeros(classes, "float32")])
    return keras.Model(inputs, outputs)


def test_predict_dataset_aligns_labels_and_keeps_the_most_confidently_wrong():
    import tensorflow as tf

    colours = np.array([[250, 0, 0], [0, 250, 0], [0, 0, 250], [0, 0, 120], [0, 0, 200]], "float32")
    images = np.broadcast_to(colours[:, None, None, :], (5, 8, 8, 3)).copy()
    labels = np.array([0, 1, 0, 1, 1])  # the last three are wrong: blue is predicted as class 2
    # reshuffled every pass: only a single pass keeps labels and predictions aligned
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(5, seed=1).batch(2)
    predicted = vision.predict_dataset(_softmax_model(), dataset, most_wrong=2)
    assert predicted.probabilities.shape == (5, 3)
    assert sorted(predicted.y_true.tolist()) == [0, 0, 1, 1, 1]
    right = predicted.probabilities.argmax(axis=1) == predicted.y_true
    assert right.sum() == 2  # red -> 0 and green -> 1 are right, wherever they landed
    assert predicted.wrong_images.shape == (2, 8, 8, 3) and predicted.wrong_images.dtype == np.uint8
    # most confident first: the brightest blue (250), then 200; the dim blue (120) is dropped
    assert predicted.wrong_images[:, 0, 0, 2].tolist() == [250, 200]
    assert predicted.wrong_true.tolist() == [0, 1]
    confidence = predicted.wrong_probabilities.max(axis=1)
    assert confidence[0] > confidence[1]
    none = vision.predict_dataset(_softmax_model(), dataset, most_wrong=0)
    assert none.wrong_images.shape[0] == 0 and none.wrong_probabilities.shape == (0, 3)


def test_predict_dataset_bad_inputs():
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((np.zeros((2, 8, 8, 3), "float32"), [0, 1])).batch(2)
    with pytest.raises(ValueError, match="most_wrong must be 0 or more"):
        vision.predict_dataset(_softmax_model(), dataset, most_wrong=-1)
    with pytest.raises(ValueError, match="empty dataset"):
        vision.predict_dataset(_softmax_model(), dataset.take(0))
    with pytest.raises(ValueError, match=r"one probability per class \(softmax outputs\), got shape \(2, 1"):
        vision.predict_dataset(_constant_model([0.5]), dataset.map(lambda x, y: (x[:, :8, :8], y)))
