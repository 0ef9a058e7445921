"""Image folders as ``tf.data`` pipelines: loaders, stratified validation splits, thumbnails.

- :func:`image_folder_dataset` wraps ``keras.utils.image_dataset_from_directory`` and
  ``tf.data`` (cache, shuffle, batch, prefetch with ``AUTOTUNE``). Stray files that are
  not images (``.DS_Store``, notes) are skipped; images that cannot be decoded are found
  before training (:func:`find_unreadable_images`), reported by name, and left out
  instead of failing mid-epoch.
- :func:`image_folder_split` carves a validation set out of a training folder, class by
  class (:func:`stratified_validation_split`), and builds both pipelines
  (:func:`image_files_dataset` builds one from a list of files).
- :func:`thumbnails` shrinks a dataset's images to small flat vectors for the classical
  baselines.

One image file into a model's prediction: :mod:`helpers.image_predictions`; pipeline
speed: :mod:`helpers.image_throughput`; Food-101 through TFDS: :mod:`helpers.food101`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

__all__ = [
    "IMAGE_EXTENSIONS",
    "ImageFolder",
    "find_unreadable_images",
    "image_files",
    "image_files_dataset",
    "image_folder_dataset",
    "image_folder_split",
    "stratified_validation_split",
    "thumbnails",
]

# The extensions keras.utils.image_dataset_from_directory reads; everything else is ignored.
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def _as_size(image_size) -> tuple[int, int]:
    """``image_size`` as ``(height, width)`` of positive ints; a clear error otherwise."""
    try:
        height, width = (int(v) for v in image_size)
    except (TypeError, ValueError):
        raise ValueError(
            f"image_size must be (height, width), e.g. (224, 224), got {image_size!r}."
        ) from None
    if height < 1 or width < 1:
        raise ValueError(f"image_size must be (height, width) with positive sides, got {image_size!r}.")
    return height, width


def image_files(folder: str | os.PathLike) -> list[Path]:
    """Every image file under ``folder`` (recursively, sorted), by extension; other files are ignored.

    Raises:
        FileNotFoundError: ``folder`` does not exist or is not a folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"No image folder at {folder}: expected <folder>/<class name>/<image files>.")
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def _decode(contents: bytes) -> tf.Tensor:
    if contents[:2] == b"\xff\xd8":  # JPEG: decode at 1/8 scale, still reads every byte
        return tf.io.decode_jpeg(contents, channels=3, ratio=8)
    return tf.io.decode_image(contents, channels=3, expand_animations=False)


def find_unreadable_images(folder: str | os.PathLike) -> list[Path]:
    """The image files under ``folder`` that TensorFlow cannot decode (empty, truncated, not an image).

    Raises:
        FileNotFoundError: ``folder`` does not exist.
    """
    return [path for path in image_files(folder) if _undecodable(path)]


def _undecodable(path: Path) -> bool:
    try:
        contents = path.read_bytes()
        if not contents:
            raise ValueError("empty file")
        _decode(contents)
    except (tf.errors.OpError, ValueError):
        return True
    return False


@dataclass
class ImageFolder:
    """A batched ``tf.data`` pipeline over an image folder, and what went into it.

    Attributes:
        dataset: batches of ``(images, labels)``, images float32 in [0, 255].
        class_names: the sub-folder names, in label order.
        count: how many images the pipeline yields per epoch.
        skipped: image files left out because they could not be decoded.
    """

    dataset: tf.data.Dataset
    class_names: list[str]
    count: int
    skipped: list[Path]


def image_folder_dataset(
    folder: str | os.PathLike,
    image_size: tuple[int, int] = (224, 224),
    batch_size: int = 32,
    label_mode: str = "int",
    shuffle: bool = True,
    seed: int = 42,
    cache: bool | str = True,
    check_images: bool = True,
    max_images: int | None = None,
) -> ImageFolder:
    """Load ``<folder>/<class>/<image>`` as a cached, shuffled, batched, prefetched ``tf.data`` pipeline.

    Args:
        folder: a folder with one sub-folder per class (e.g. ``.../pizza_steak/train``).
        image_size: (height, width) every image is resized to.
        batch_size: images per batch.
        label_mode: ``"int"``, ``"categorical"`` or ``"binary"`` (two classes), as in Keras.
        shuffle: reshuffle the images every epoch (use ``False`` for test sets).
        seed: shuffling seed.
        cache: ``True`` caches decoded images in memory after the first epoch, a file
            name caches them on disk, ``False`` decodes every epoch.
        check_images: decode every file once first, report the ones that fail by name
            and leave them out (otherwise a corrupt file stops training mid-epoch).
        max_images: keep only the first ``max_images`` (after shuffling), for quick runs.

    Image files at the top level of ``folder`` belong to no class: Keras ignores them, so
    they are left out of ``count`` and named in a printed note.

    Raises:
        FileNotFoundError: ``folder`` does not exist.
        ValueError: no class sub-folders with images, a class folder with no readable
            image, a bad ``image_size``/``batch_size``, or every image is unreadable.
    """
    height, width = _as_size(image_size)
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    root = Path(folder)
    # Keras reads <folder>/<class>/...: files at the top level belong to no class and are ignored.
    files = [p for p in image_files(folder) if p.parent != root]
    loose = sorted(p.name for p in root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    if loose:
        print(
            f"Ignoring {len(loose)} image file(s) at the top level of {folder} ({', '.join(loose[:5])}"
            f"{', ...' if len(loose) > 5 else ''}): Keras reads only <folder>/<class name>/<image files>. "
            "Move them into a class folder to use them."
        )
    if not files:
        raise ValueError(
            f"No images ({', '.join(IMAGE_EXTENSIONS)}) in class folders under {folder}: expected "
            f"<folder>/<class name>/<image files>, e.g. train/pizza/1.jpg."
        )
    skipped = [p for p in files if _undecodable(p)] if check_images else []
    if skipped:
        names = ", ".join(str(p.relative_to(folder)) for p in skipped[:10])
        more = f" and {len(skipped) - 10} more" if len(skipped) > 10 else ""
        print(
            f"Skipping {len(skipped)} image file(s) that cannot be decoded: {names}{more}. "
            f"Delete or replace them to silence this message."
        )
        if len(skipped) == len(files):
            raise ValueError(f"Every image under {folder} is unreadable ({len(files)} files).")
    readable = {p.relative_to(root).parts[0] for p in files if p not in set(skipped)}
    empty = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in readable)
    if empty:
        raise ValueError(
            f"Class folder(s) {', '.join(empty)} under {folder} hold no readable image: Keras would "
            "make each a class with no examples, a label the model can never learn. Add images to "
            "them or remove them."
        )
    images = keras.utils.image_dataset_from_directory(
        folder,
        image_size=(height, width),
        batch_size=None,
        label_mode=label_mode,
        shuffle=shuffle,
        seed=seed,
        verbose=False,
    )
    class_names = list(images.class_names)
    count = len(files) - len(skipped)
    if skipped:
        images = images.ignore_errors()  # drops exactly the files reported above
    if max_images is not None:
        images = images.take(int(max_images))
        count = min(count, int(max_images))
    if cache:
        images = images.cache() if cache is True else images.cache(os.fspath(cache))
    if shuffle:
        images = images.shuffle(min(count, 1_000), seed=seed, reshuffle_each_iteration=True)
    images = images.batch(int(batch_size)).prefetch(tf.data.AUTOTUNE)
    return ImageFolder(dataset=images, class_names=class_names, count=count, skipped=skipped)


def stratified_validation_split(
    folder: str | os.PathLike, validation_fraction: float = 0.2, seed: int = 42
) -> tuple[list[Path], list[Path]]:
    """Split the image files of ``<folder>/<class>/`` into training and validation files, class by class.

    Every class gives ``round(validation_fraction * n)`` of its ``n`` images, but at least
    one, to the validation files, chosen at random with ``seed``; the rest are training
    files. So the validation set holds every class in about its share of the folder.
    (``sklearn.model_selection.train_test_split(stratify=...)`` rounds the total instead
    and can leave a small class out of the validation set altogether.) Only the images
    directly inside each class folder are used, not those in deeper sub-folders.

    Args:
        folder: a folder with one sub-folder per class (e.g. ``.../10_food_classes_all_data/train``).
        validation_fraction: the share of each class held out, strictly between 0 and 1.
        seed: which images are held out.

    Returns:
        ``(training files, validation files)``, each sorted; a file's class is its parent folder.

    Raises:
        ValueError: ``validation_fraction`` outside (0, 1), no class sub-folders, or a class
            with fewer than 2 images (it cannot give one to each side).
        FileNotFoundError: ``folder`` does not exist.
    """
    fraction = float(validation_fraction)
    if not 0.0 < fraction < 1.0:
        raise ValueError(
            f"validation_fraction must be between 0 and 1 (exclusive), e.g. 0.2, got {validation_fraction!r}."
        )
    folder = Path(folder)
    by_class: dict[str, list[Path]] = {}
    for path in image_files(folder):
        if path.parent.parent == folder:
            by_class.setdefault(path.parent.name, []).append(path)
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise ValueError(f"No class sub-folders in {folder}: expected <folder>/<class name>/<image files>.")
    too_small = {name: len(by_class.get(name, [])) for name in classes if len(by_class.get(name, [])) < 2}
    if too_small:
        listed = ", ".join(f"{name!r} ({n})" for name, n in too_small.items())
        raise ValueError(
            f"Every class needs at least 2 images to give one to training and one to validation; "
            f"too few in {folder}: {listed}. Add images or remove those class folders."
        )
    rng = np.random.default_rng(seed)
    train, validation = [], []
    for name in classes:
        files = by_class[name]
        n_validation = min(len(files) - 1, max(1, round(fraction * len(files))))
        held_out = set(rng.choice(len(files), size=n_validation, replace=False).tolist())
        for index, path in enumerate(files):
            (validation if index in held_out else train).append(path)
    return sorted(train), sorted(validation)


def image_files_dataset(
    files: list[str | os.PathLike],
    class_names: list[str],
    image_size: tuple[int, int] = (224, 224),
    batch_size: int = 32,
    label_mode: str = "int",
    shuffle: bool = True,
    seed: int = 42,
    cache: bool | str = True,
) -> ImageFolder:
    """A batched pipeline like :func:`image_folder_dataset`'s, over a list of files ``.../<class>/<image>``.

    Each file's label is the position of its parent folder's name in ``class_names``.
    Files are read, decoded and resized (bilinear) as ``image_dataset_from_directory``
    does, then cached, shuffled, batched and prefetched. Use it with
    :func:`stratified_validation_split`, or see :func:`image_folder_split`.

    Raises:
        ValueError: no files, a file whose folder is not in ``class_names``, a bad
            ``label_mode``, ``image_size`` or ``batch_size``.
    """
    height, width = _as_size(image_size)
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    if label_mode not in ("int", "categorical", "binary"):
        raise ValueError(f"label_mode must be 'int', 'categorical' or 'binary', got {label_mode!r}.")
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f"label_mode='binary' needs exactly 2 classes, got {len(class_names)}.")
    paths = [Path(p) for p in files]
    if not paths:
        raise ValueError("image_files_dataset needs at least one image file.")
    index = {name: i for i, name in enumerate(class_names)}
    unknown = sorted({p.parent.name for p in paths} - set(index))
    if unknown:
        raise ValueError(f"Files in folders {unknown} that are not among class_names {list(class_names)}.")
    labels = [index[p.parent.name] for p in paths]

    def load(path, label):
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        image = tf.image.resize(image, (height, width))
        image.set_shape((height, width, 3))
        if label_mode == "binary":
            label = tf.cast(label, "float32")[None]
        elif label_mode == "categorical":
            label = tf.one_hot(label, len(class_names))
        return image, label

    images = tf.data.Dataset.from_tensor_slices(([os.fspath(p) for p in paths], tf.constant(labels, "int32")))
    if shuffle:  # shuffle the file names once, so that a cache is not filled class by class
        images = images.shuffle(len(paths), seed=seed, reshuffle_each_iteration=False)
    images = images.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    if cache:
        images = images.cache() if cache is True else images.cache(os.fspath(cache))
    if shuffle:
        images = images.shuffle(min(len(paths), 1_000), seed=seed, reshuffle_each_iteration=True)
    images = images.batch(int(batch_size)).prefetch(tf.data.AUTOTUNE)
    return ImageFolder(dataset=images, class_names=list(class_names), count=len(paths), skipped=[])


def image_folder_split(
    folder: str | os.PathLike,
    validation_fraction: float = 0.2,
    image_size: tuple[int, int] = (224, 224),
    batch_size: int = 32,
    label_mode: str = "int",
    seed: int = 42,
    cache: bool | str = True,
) -> tuple[ImageFolder, ImageFolder]:
    """Training and validation pipelines from one image folder, split class by class.

    The validation images come out of the training folder (:func:`stratified_validation_split`),
    so the test folder stays untouched until the end. The training pipeline is shuffled
    every epoch, the validation pipeline is not; both are cached (``cache``) and batched.
    Unreadable images are reported and left out, as in :func:`image_folder_dataset`.

    Raises:
        ValueError, FileNotFoundError: as :func:`stratified_validation_split` and
            :func:`image_files_dataset`.
    """
    folder = Path(folder)
    train_files, validation_files = stratified_validation_split(folder, validation_fraction, seed)
    class_names = sorted({p.parent.name for p in train_files})
    skipped = [p for p in train_files + validation_files if _undecodable(p)]
    if skipped:
        names = ", ".join(str(p.relative_to(folder)) for p in skipped[:10])
        print(f"Skipping {len(skipped)} image file(s) that cannot be decoded: {names}. "
              f"Delete or replace them to silence this message.")
    train_files = [p for p in train_files if p not in skipped]
    validation_files = [p for p in validation_files if p not in skipped]
    common = {"class_names": class_names, "image_size": image_size, "batch_size": batch_size,
              "label_mode": label_mode, "seed": seed}
    train = image_files_dataset(train_files, shuffle=True, cache=cache, **common)
    validation = image_files_dataset(validation_files, shuffle=False, cache=bool(cache), **common)
    train.skipped = validation.skipped = skipped
    return train, validation


def thumbnails(
    dataset: tf.data.Dataset, size: int = 16, max_images: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Every image of ``dataset`` as a flat ``size x size`` RGB thumbnail in [0, 1], and its label.

    For the classical baselines of the vision notebooks (a logistic regression on colour
    layout). ``dataset`` yields ``(images, labels)``, batched (a 4-D image tensor) or one
    image at a time of any size (3-D); pixel values in [0, 255]. One-hot labels are turned
    into class numbers.

    Returns:
        ``(features, labels)``: shape ``(n, size * size * 3)`` float32, and ``(n,)`` int.

    Raises:
        ValueError: ``size < 1``, ``max_images < 1``, images that are not 3-D or 4-D, or an empty dataset.
    """
    if int(size) < 1 or (max_images is not None and int(max_images) < 1):
        raise ValueError(
            f"size and max_images must be positive integers, got size={size!r}, max_images={max_images!r}."
        )
    rank = dataset.element_spec[0].shape.rank
    if rank not in (3, 4):
        raise ValueError(f"thumbnails needs (images, labels) with 3-D or 4-D images, got rank {rank}.")

    def shrink(images, labels):
        return tf.image.resize(tf.cast(images, "float32"), (size, size)) / 255.0, labels

    if rank == 3:
        if max_images is not None:
            dataset = dataset.take(int(max_images))
        dataset = dataset.map(shrink, num_parallel_calls=tf.data.AUTOTUNE).batch(256)
    else:
        dataset = dataset.map(shrink, num_parallel_calls=tf.data.AUTOTUNE)
    features, targets = [], []
    for images, labels in dataset:
        labels = labels.numpy()
        if labels.ndim == 2 and labels.shape[1] > 1:
            labels = labels.argmax(axis=1)
        features.append(images.numpy().reshape(len(images), -1))
        targets.append(labels.reshape(-1))
    if not features:
        raise ValueError("thumbnails got an empty dataset: there are no images to shrink.")
    features, targets = np.concatenate(features), np.concatenate(targets).astype(int)
    if max_images is not None:
        features, targets = features[: int(max_images)], targets[: int(max_images)]
    return features, targets
