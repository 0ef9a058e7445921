"""Small convolutional networks built from scratch (notebook 03): TinyVGG and its augmentation.

- :func:`tiny_vgg` builds the CNN Explainer's TinyVGG: blocks of Conv-Conv-Pool, then one
  dense output (a sigmoid for one output, else a softmax); the number of filters and of
  blocks are arguments, so that the exercises can vary them.
- :func:`augmentation` builds the random flips, rotations, zooms and shifts the notebook
  trains with; each one can be left out.
"""

from __future__ import annotations

import keras

__all__ = ["augmentation", "tiny_vgg"]


def tiny_vgg(
    image_size: tuple[int, int] = (224, 224),
    num_outputs: int = 1,
    augment: keras.layers.Layer | None = None,
    filters: int = 10,
    blocks: int = 2,
    name: str = "tiny_vgg",
) -> keras.Sequential:
    """Rescaling, ``blocks`` x (Conv 3x3 ReLU, Conv 3x3 ReLU, MaxPool 2), Flatten, Dense output.

    Not compiled. ``augment`` (a layer, e.g. :func:`augmentation`) goes first, active only
    while training.

    Raises:
        ValueError: ``num_outputs``, ``filters`` or ``blocks`` below 1, or an image too small
            for ``blocks`` blocks.
    """
    if min(int(num_outputs), int(filters), int(blocks)) < 1:
        raise ValueError(
            f"num_outputs, filters and blocks must be at least 1, got {num_outputs}, {filters}, {blocks}."
        )
    side = min(int(v) for v in image_size)
    for _ in range(int(blocks)):
        side = (side - 4) // 2
    if side < 1:
        raise ValueError(f"image_size {tuple(image_size)} is too small for {blocks} Conv-Conv-Pool blocks.")
    layers = [keras.Input(shape=(*image_size, 3))]
    if augment is not None:
        layers.append(augment)
    layers.append(keras.layers.Rescaling(1 / 255))
    for _ in range(int(blocks)):
        layers += [
            keras.layers.Conv2D(filters, 3, activation="relu"),
            keras.layers.Conv2D(filters, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
        ]
    layers += [
        keras.layers.Flatten(),
        keras.layers.Dense(num_outputs, activation="sigmoid" if num_outputs == 1 else "softmax"),
    ]
    return keras.Sequential(layers, name=name)


def augmentation(
    flip: bool = True, rotation: float = 0.2, zoom: float = 0.2, translation: float = 0.1
) -> keras.Sequential:
    """Random horizontal flips, rotations, zooms and shifts; a factor of 0 (or ``flip=False``) leaves one out.

    Raises:
        ValueError: a negative factor, or every transformation left out.
    """
    if min(rotation, zoom, translation) < 0:
        raise ValueError(
            "rotation, zoom and translation must be 0 (left out) or more, "
            f"got {rotation}, {zoom}, {translation}."
        )
    layers = [keras.layers.RandomFlip("horizontal")] if flip else []
    if rotation:
        layers.append(keras.layers.RandomRotation(rotation))
    if zoom:
        layers.append(keras.layers.RandomZoom(zoom))
    if translation:
        layers.append(keras.layers.RandomTranslation(translation, translation))
    if not layers:
        raise ValueError("augmentation with every transformation left out does nothing: keep at least one.")
    return keras.Sequential(layers, name="augmentation")
