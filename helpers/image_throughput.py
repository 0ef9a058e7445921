"""How fast images flow: through a ``tf.data`` pipeline, or decoded one by one in Python.

:func:`images_per_second` times a batched dataset; :func:`decode_and_resize_rate` times a
plain Python loop over files, the floor a pipeline should beat.
"""

from __future__ import annotations

import os
import time

import tensorflow as tf

from helpers.image_predictions import load_and_prep_image

__all__ = ["decode_and_resize_rate", "images_per_second"]


def images_per_second(dataset: tf.data.Dataset, batches: int | None = None, warmup_batches: int = 1) -> float:
    """How many images per second a batched ``dataset`` of ``(images, labels)`` delivers.

    Iterates ``warmup_batches`` first (not timed: that is where caches fill and threads
    start), then times ``batches`` batches (all the rest when ``None``).

    Raises:
        ValueError: a negative ``warmup_batches``, ``batches < 1``, or nothing left to time.
    """
    if warmup_batches < 0 or (batches is not None and batches < 1):
        raise ValueError(
            f"warmup_batches must be >= 0 and batches >= 1 (or None), got {warmup_batches}, {batches}."
        )
    iterator = iter(dataset)
    for _ in range(warmup_batches):
        next(iterator, None)
    images, start = 0, time.perf_counter()
    for index, element in enumerate(iterator):
        if batches is not None and index >= batches:
            break
        images += int(tf.shape(element[0])[0])
    elapsed = time.perf_counter() - start
    if images == 0:
        raise ValueError("The dataset had no batches left to time; use fewer warmup_batches or more data.")
    return images / elapsed


def decode_and_resize_rate(paths: list[str | os.PathLike], image_size: tuple[int, int] = (224, 224)) -> float:
    """Images per second when this machine reads, decodes and resizes ``paths`` one by one (no tf.data).

    Raises:
        ValueError: ``paths`` is empty.
    """
    if not paths:
        raise ValueError("decode_and_resize_rate needs at least one image path.")
    load_and_prep_image(paths[0], image_size)  # warm up
    start = time.perf_counter()
    for path in paths:
        load_and_prep_image(path, image_size)
    return len(paths) / (time.perf_counter() - start)
