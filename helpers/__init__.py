"""Shared helpers for the TensorFlow/Keras course notebooks.

Modules: ``profile`` (full/fast run profiles), ``session`` (the setup cell), ``device``
(strategies and mixed precision), ``data`` (registry, cache, mirror, downloads,
fixtures), ``plotting``, ``evaluation`` and ``callbacks``.
"""

from helpers.profile import current_profile, is_fast, pick
from helpers.session import require_versions, setup_notebook

__all__ = ["current_profile", "is_fast", "pick", "require_versions", "setup_notebook"]
__version__ = "0.1.0"
