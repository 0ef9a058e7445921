"""``keras.applications`` backbones with their ImageNet weights fetched through the data layer.

``keras.applications.EfficientNetV2B0(weights="imagenet")`` downloads its weights into
``~/.keras/models`` and fails without internet. :func:`pretrained_backbone` finds the
same file through the course's data layer instead (cache, then mirror, then origin)
and hands its path to ``weights=``. In the ``fast`` profile with no copy it builds the
same architecture with random weights and prints a loud ``RANDOM WEIGHTS`` banner; in
the ``full`` profile it stops with an error that names the file and where to put it.

Example::

    base = helpers.pretrained.pretrained_backbone("EfficientNetV2B0")
    base.trainable = False
"""

from __future__ import annotations

import math
from pathlib import Path

import keras

from helpers import data, profile

__all__ = ["BACKBONES", "parameter_count", "pretrained_backbone", "weights_file"]

# keras.applications name -> registry entry of its ImageNet "notop" weights
BACKBONES: dict[str, str] = {
    "EfficientNetV2B0": "efficientnetv2b0_notop",
    "EfficientNetB0": "efficientnetb0_notop",
    "ResNet50V2": "resnet50v2_notop",
}

def _check_name(name: str) -> str:
    if name not in BACKBONES:
        raise ValueError(
            f"No ImageNet weights are registered for {name!r}. Known backbones: "
            f"{', '.join(BACKBONES)} (spelled as in keras.applications)."
        )
    return BACKBONES[name]


def _fetch_weights(name: str) -> data.Fetched | None:
    # The data layer checks Keras' published md5 (entry.extra["md5"]) of a cached or
    # mirrored file, and of a download before it is moved into the cache, so a bad
    # download never lands there; its ChecksumError names the file's full path.
    entry = data.get_entry(_check_name(name))
    try:
        return data.fetch(entry.name)
    except data.DataNotFoundError:
        if profile.is_fast():
            return None
        raise


def weights_file(name: str) -> Path | None:
    """The ImageNet "notop" weights file of backbone ``name``, found through the data layer.

    Returns ``None`` in the ``fast`` profile when no copy is available (the caller then
    uses random weights). The file's md5 is checked against the digest Keras publishes.

    Raises:
        ValueError: ``name`` is not one of :data:`BACKBONES`.
        helpers.data.ChecksumError: (a ``ValueError``) the file's md5 is not the one Keras
            publishes; the message names its full path and what to do.
        helpers.data.DataNotFoundError: ``full`` profile and the file is nowhere; the
            message names the file, its origin and where to put it.
    """
    fetched = _fetch_weights(name)
    return None if fetched is None else fetched.path


def pretrained_backbone(
    name: str = "EfficientNetV2B0",
    input_shape: tuple[int, int, int] = (224, 224, 3),
    include_top: bool = False,
    pooling: str | None = "avg",
    trainable: bool = False,
) -> keras.Model:
    """A ``keras.applications`` backbone with ImageNet weights, without its classifier.

    Args:
        name: ``"EfficientNetV2B0"``, ``"EfficientNetB0"`` or ``"ResNet50V2"``.
        input_shape: (height, width, 3). EfficientNets take pixels in [0, 255] (they
            rescale inside); ResNet50V2 wants ``keras.applications.resnet_v2.preprocess_input``.
        include_top: must be ``False``: only the "notop" weights are registered.
        pooling: ``"avg"`` (a feature vector per image), ``"max"`` or ``None`` (feature maps).
        trainable: ``False`` (default) freezes the backbone for feature extraction.

    The returned model has an attribute ``weights_source``: ``"cache"``, ``"mirror"``
    or ``"origin"`` for ImageNet weights, ``"random"`` when the fast profile had to
    build it with random weights (announced with a ``RANDOM WEIGHTS`` banner: nothing
    learned with it is a transfer-learning result).

    Raises:
        ValueError: unknown ``name``, ``include_top=True``, a bad ``input_shape`` or
            ``pooling``, or a weights file with the wrong md5.
        helpers.data.DataNotFoundError: ``full`` profile and the weights are nowhere.
    """
    _check_name(name)
    if include_top:
        raise ValueError(
            "include_top=True is not supported: the registry holds the 'notop' weights only. "
            "Add your own head on top of the backbone (feature extraction), or call "
            f"keras.applications.{name}(weights='imagenet') directly when you are online."
        )
    if len(input_shape) != 3 or input_shape[-1] != 3 or min(input_shape[:2]) < 32:
        raise ValueError(
            f"input_shape must be (height, width, 3) with sides of at least 32 pixels, got {input_shape!r}."
        )
    if pooling not in ("avg", "max", None):
        raise ValueError(f"pooling must be 'avg', 'max' or None, got {pooling!r}.")
    fetched = _fetch_weights(name)
    path = None if fetched is None else fetched.path
    builder = getattr(keras.applications, name)
    model = builder(
        include_top=False,
        weights=str(path) if path is not None else None,
        input_shape=tuple(input_shape),
        pooling=pooling,
    )
    if path is None:
        entry = data.get_entry(BACKBONES[name])
        profile.announce(
            profile.RANDOM_WEIGHTS_OUTPUT_MARKER,
            f"no copy of {entry.files[0].path} (ImageNet weights of {name}) is in the cache or a "
            "mirror.\nThe fast profile goes on with the same architecture and random weights: every "
            "number computed with it only shows that the code runs; none is a transfer-learning result.",
        )
        model.weights_source = "random"
    else:
        model.weights_source = fetched.source
    model.trainable = trainable
    return model


def parameter_count(weights: list) -> int:
    """How many numbers a list of weights holds, e.g. ``parameter_count(model.trainable_weights)``.

    ``model.count_params()`` counts every weight; this counts the ones you pass, so the
    trainable and the frozen part of a transfer-learning model can be told apart.

    Raises:
        TypeError: an element has no ``shape`` (pass ``model.weights``, not the model).
    """
    total = 0
    for weight in weights:
        if not hasattr(weight, "shape"):
            raise TypeError(
                f"parameter_count needs a list of weights (e.g. model.trainable_weights), got an element "
                f"of type {type(weight).__name__}."
            )
        total += math.prod(int(n) for n in weight.shape)
    return total
