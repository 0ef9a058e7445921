"""Food-101 through ``tensorflow_datasets``, its ``data_dir`` under the course's data cache.

:func:`load_food101` loads the TFDS splits (a prepared copy in the cache or a mirror, see
:func:`food101_data_dir`); in the ``fast`` profile without a prepared copy it uses
``tfds.testing.mock_data`` (the real ``tfds.load`` code, random pixels) and says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import tensorflow as tf

from helpers import data, profile

__all__ = ["FOOD101", "Food101", "food101_data_dir", "load_food101"]

TFDS_FOLDER = "tensorflow_datasets"  # under the data cache (or a mirror): TFDS's data_dir
FOOD101 = "food101"


@dataclass
class Food101:
    """Food-101 splits from TFDS: ``(image uint8 HxWx3, label int64)`` pairs, one at a time.

    Attributes:
        train, test: the TFDS ``train`` and ``validation`` splits (Food-101 has no other
            test set: 75,750 and 25,250 images).
        validation: with ``validation_percent=p``, the last ``p``% of the training split
            (``train[-p%:]``), held out for validation, and ``train`` is the rest; else ``None``.
        class_names: the 101 class names.
        data_dir: the TFDS data_dir used.
        source: ``"cache"``, ``"mirror"``, ``"origin"`` (TFDS downloaded and prepared it)
            or ``"mock"`` (fast profile: ``tfds.testing.mock_data``, random pixels).
    """

    train: tf.data.Dataset
    test: tf.data.Dataset
    class_names: list[str]
    data_dir: Path
    source: str
    validation: tf.data.Dataset | None = None

    @property
    def is_mock(self) -> bool:
        return self.source == "mock"


def _prepared(data_dir: Path) -> bool:
    import tensorflow_datasets as tfds

    builder = tfds.builder(FOOD101, data_dir=os.fspath(data_dir))
    return Path(builder.data_dir, "dataset_info.json").is_file()


def food101_data_dir() -> tuple[Path, str]:
    """The TFDS ``data_dir`` for Food-101 and where it is: ``"cache"``, ``"mirror"`` or ``"absent"``.

    TFDS keeps prepared datasets under ``<data_dir>/food101/<version>/``. The course
    puts that ``data_dir`` at ``<data cache>/tensorflow_datasets`` (the cache is
    ``data/`` or ``$COURSE_DATA_DIR``); a mirror (``$COURSE_DATA_MIRROR``) is read from
    ``<mirror>/tensorflow_datasets``. When neither holds a prepared copy, the cache's is
    returned with ``"absent"``: that is where TFDS downloads and prepares it.
    """
    cache = data.cache_dir() / TFDS_FOLDER
    if _prepared(cache):
        return cache, "cache"
    mirror = data.mirror_dir()
    if mirror is not None and _prepared(mirror / TFDS_FOLDER):
        return mirror / TFDS_FOLDER, "mirror"
    return cache, "absent"


def load_food101(mock_examples: int = 64, validation_percent: int = 0) -> Food101:
    """Food-101 (101 classes) as TFDS ``train`` and ``validation`` splits, ``as_supervised``.

    Lookup: a prepared copy in the cache or mirror (see :func:`food101_data_dir`); else,
    in the ``full`` profile, TFDS downloads the 5 GB archive from its origin and prepares
    it in the cache (about an hour the first time); in the ``fast`` profile, the real
    ``tfds.load`` code runs under ``tfds.testing.mock_data`` with ``mock_examples``
    random images per split, announced with a ``GENERATED FIXTURE`` banner.

    With ``validation_percent`` (1-99), the training split is sliced with TFDS's split API
    into ``train[:-p%]`` and a validation set ``train[-p%:]``: the same images every time
    (TFDS shuffled the examples once, when it prepared the data set). ``mock_data``
    ignores slices: there every split holds the same ``mock_examples`` images.

    Raises:
        ValueError: ``mock_examples < 1`` or ``validation_percent`` outside 0-99.
        helpers.data.DataNotFoundError: ``full`` profile, no prepared copy, and
            downloads are off (``COURSE_OFFLINE``); the message says where to put one.
    """
    import tensorflow_datasets as tfds

    if int(mock_examples) < 1:
        raise ValueError(f"mock_examples must be at least 1, got {mock_examples!r}.")
    if not (isinstance(validation_percent, int) and 0 <= validation_percent < 100):
        raise ValueError(
            f"validation_percent must be a whole number from 0 (no validation split) to 99, "
            f"got {validation_percent!r}."
        )
    data_dir, where = food101_data_dir()
    entry = data.get_entry(FOOD101)
    source = where
    if where == "absent":
        if profile.is_fast():
            source = "mock"
        elif not data.store.downloads_allowed():
            raise data.DataNotFoundError(
                f"Food-101 is not prepared in {data_dir} (nor under a mirror's {TFDS_FOLDER}/), and "
                f"downloads are off. On a machine with internet run `tfds.load('food101', "
                f"data_dir=...)` once (it downloads {entry.archive_url}, about 5 GB), then copy the "
                f"folder {TFDS_FOLDER}/food101/ into the cache or mirror. Or run the fast profile "
                f"({profile.PROFILE_ENV}=fast) to use mock data."
            )
        else:
            source = "origin"
            print(
                f"Food-101 is not prepared yet: TFDS downloads it ({entry.archive_url}, about 5 GB) "
                f"and prepares it under the data cache. This takes a while, once."
            )

    splits = ["train", "validation"]
    if validation_percent:
        splits = [f"train[:-{validation_percent}%]", f"train[-{validation_percent}%:]", "validation"]

    def _load():
        datasets, info = tfds.load(
            FOOD101,
            split=splits,
            as_supervised=True,
            with_info=True,
            data_dir=os.fspath(data_dir),
            download=source == "origin",
            shuffle_files=True,
        )
        return datasets, list(info.features["label"].names)

    if source == "mock":
        from absl import logging as absl_logging

        level = absl_logging.get_verbosity()
        absl_logging.set_verbosity(absl_logging.ERROR)  # mock_data's deprecation chatter
        try:
            with tfds.testing.mock_data(num_examples=int(mock_examples), data_dir=os.fspath(data_dir)):
                datasets, names = _load()
        finally:
            absl_logging.set_verbosity(level)
        profile.announce(
            profile.FIXTURE_OUTPUT_MARKER,
            "Food-101 is not prepared in the cache or a mirror, so the fast profile runs the real "
            f"tfds.load code under tfds.testing.mock_data: {mock_examples} images of random pixels "
            "and random labels per split (the same images in every split). Nothing learned from them "
            "means anything about food.",
        )
    else:
        datasets, names = _load()
    train, *validation, test = datasets
    return Food101(train=train, test=test, class_names=names, data_dir=data_dir, source=source,
                   validation=validation[0] if validation else None)
