"""Shared helpers for the TensorFlow/Keras course notebooks.

Modules: ``profile`` (full/fast run profiles), ``versions`` (minimum versions and the
``stack:`` line), ``colab`` (Colab runtime detection and the TPU install, before TensorFlow
is imported), ``session`` (the setup cell), ``device`` (strategies and mixed precision),
``data`` (registry, format checks, cache, mirror, downloads, fixtures), ``plotting``,
``evaluation`` (metrics and the results table), ``callbacks``, ``vision`` (image folders,
stratified validation splits, Food-101), ``pretrained`` (keras.applications weights),
``hub`` (TF Hub modules as Keras 3 layers), ``text`` (tweet splits, PubMed RCT parsing,
text utilities), ``timeseries`` (windows, forecast metrics, N-BEATS), ``unsupervised``
(autoencoders, clustering and anomaly scores), ``semisupervised`` (label budgets,
pseudo-labels, augmentation pairs), ``generative`` (image grids, latent walks, Fréchet
distance), ``transformer`` (attention layers, encoder and decoder, greedy decoding),
``reporting`` (mean ± spread over seeds and the results lines), ``detection`` (digit
scenes, boxes, IoU, NMS, COCO mAP, the connected-components rule, CenterNet targets),
``dates`` (the human-date generator and its rule-based baseline), ``rl`` (environments,
replay buffer, seeded policy evaluation, frames) and ``distributed`` with
``distributed_worker`` (multi-worker clusters on loopback). Submodules load on first
use (``helpers.plotting.plot_loss_curves`` works after a plain ``import helpers``), so
tools that only need ``helpers.profile`` do not import TensorFlow.
"""

from __future__ import annotations

import importlib
from typing import Any

from helpers.profile import current_profile, is_fast, pick

__all__ = ["current_profile", "is_fast", "pick", "require_versions", "setup_notebook"]
__version__ = "0.1.0"

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
