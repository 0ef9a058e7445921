"""Shared helpers for the TensorFlow/Keras course notebooks.

Modules: ``profile`` (full/fast run profiles), ``session`` (the setup cell), ``device``
(strategies and mixed precision), ``data`` (registry, cache, mirror, downloads,
fixtures), ``plotting``, ``evaluation``, ``callbacks``, ``vision`` (image folders,
Food-101), ``pretrained`` (keras.applications weights), ``hub`` (TF Hub modules as
Keras 3 layers), ``text`` (PubMed RCT parsing, text utilities) and ``timeseries``
(windows, forecast metrics, N-BEATS). Submodules load on first
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
