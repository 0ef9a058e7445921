"""Shared helpers for the TensorFlow/Keras course notebooks.

Modules: ``profile`` (full/fast run profiles), ``versions`` (minimum versions and the
``stack:`` line), ``colab`` (Colab runtime detection and the TPU install, before TensorFlow
is imported), ``session`` (the setup cell), ``device`` (strategies and mixed precision),
``data`` (registry, format checks, cache, mirror, downloads, fixtures), ``plotting``,
``evaluation`` (metrics and the results table), ``callbacks``, ``image_folders`` (image
folders as pipelines, stratified validation splits, thumbnails), ``image_predictions`` (one image
or a dataset through a model), ``image_throughput`` (pipeline speed), ``food101`` (Food-101
through TFDS), ``pretrained`` (keras.applications weights),
``hub`` (TF Hub modules as Keras 3 layers), ``text`` (tweet splits, PubMed RCT parsing,
text utilities), ``timeseries`` (windows, forecast metrics, N-BEATS), ``unsupervised``
(autoencoders, clustering and anomaly scores), ``semisupervised`` (label budgets,
pseudo-labels, augmentation pairs), ``generative`` (image grids, latent walks, Fréchet
distance), ``transformer`` (attention layers, encoder and decoder, greedy decoding),
``reporting`` (mean ± spread over seeds and the results lines), ``trust``
(explanations and their sanity checks, calibration, uncertainty, abstaining), ``scratch``
(NumPy layers, gradient checks and Keras-exact optimisers, built from scratch),
``detection`` (digit scenes, boxes, IoU, NMS, COCO mAP, the connected-components rule,
CenterNet targets), ``dates`` (the human-date generator and its rule-based baseline),
``rl`` (environments, replay buffer, seeded policy evaluation, frames), ``distributed``
with ``distributed_worker`` (multi-worker clusters on loopback), ``audio`` (spoken-digit
recordings, speaker folds, log-mel/MFCC layers, DTW, noise and silence) and ``recsys``
(MovieLens parsing and splits, bias and popularity floors, ranking metrics, Keras
recommenders). Submodules load on first
use (``helpers.plotting.plot_loss_curves`` works after a plain ``import helpers``), so
tools that only need ``helpers.profile`` do not import TensorFlow.
"""

from __future__ import annotations

import importlib
from typing import Any

from helpers.profile import current_profile, is_fast, pick

__all__ = ["current_profile", "is_fast", "pick", "require_versions", "setup_notebook"]
# The course's version (pyproject.toml reads it from here). A release is MAJOR.MINOR.PATCH,
# tagged v<version>, whose notebooks link to and install from that tag; between releases it is
# the next version with ".dev0", and notebooks point at the main branch (helpers.repo.ref).
__version__ = "1.1.0.dev0"

_FROM_SESSION = {"require_versions", "setup_notebook"}


def __getattr__(name: str) -> Any:
    if name in _FROM_SESSION:
        return getattr(importlib.import_module("helpers.session"), name)
    try:
        return importlib.import_module(f"helpers.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"helpers.{name}":
            raise
        raise AttributeError(f"module 'helpers' has no attribute {name!r}") from None
