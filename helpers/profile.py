"""Run profiles: ``full`` (the real course run) or ``fast`` (tests and CI).

The profile is read from one environment variable, ``COURSE_PROFILE``, here and
nowhere else. Notebooks derive their ``parameters`` cell from :func:`pick`, so the
same code path runs in both profiles with only sizes and epochs changed.
"""

from __future__ import annotations

import os
from typing import Literal, TypeVar

PROFILE_ENV = "COURSE_PROFILE"
PROFILES = ("full", "fast")
DEFAULT_PROFILE = "full"

# Printed into notebook outputs by the setup cell and the data layer; the notebook
# format check refuses committed outputs that contain them.
FAST_OUTPUT_MARKER = "profile: fast"
FIXTURE_OUTPUT_MARKER = "GENERATED FIXTURE"
RANDOM_WEIGHTS_OUTPUT_MARKER = "RANDOM WEIGHTS"

T = TypeVar("T")
Profile = Literal["full", "fast"]


def current_profile() -> Profile:
    """Return the active profile, ``"full"`` unless ``COURSE_PROFILE`` says otherwise.

    Raises:
        ValueError: if ``COURSE_PROFILE`` holds anything but ``full`` or ``fast``.
    """
    value = os.environ.get(PROFILE_ENV, DEFAULT_PROFILE).strip().lower() or DEFAULT_PROFILE
    if value not in PROFILES:
        raise ValueError(
            f"{PROFILE_ENV}={value!r} is not a run profile; use one of {', '.join(PROFILES)} "
            f"(for example `export {PROFILE_ENV}=fast`)."
        )
    return value  # type: ignore[return-value]


def is_fast() -> bool:
    """True in the ``fast`` profile (tests and CI)."""
    return current_profile() == "fast"


def announce(marker: str, message: str) -> None:
    """Print ``<marker>: <message>`` between two rules of ``!``, impossible to miss in a notebook.

    Used for the output markers above, which the notebook format check looks for.
    """
    bar = "!" * 78
    print(f"{bar}\n{marker}: {message}\n{bar}")


def pick(*, full: T, fast: T) -> T:
    """Return ``full`` or ``fast`` depending on the active profile.

    Example: ``EPOCHS = helpers.pick(full=100, fast=2)``.
    """
    return fast if is_fast() else full
