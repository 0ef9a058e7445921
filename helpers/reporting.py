"""Reporting results: mean ± spread over seeds (or folds), and each notebook's results block.

Every notebook reports a result that varies with the seed the same way, with
:func:`spread`: the mean, the *sample* standard deviation (``ddof=1``) and the number of
runs in the label, e.g. ``498.0 ± 3.5 (3 seeds)``. The README quotes the same text.

Each notebook ends with one results cell (tagged ``results``) that calls
:func:`print_results`: one ``result: <what> = <value>`` line per headline figure, in the
exact text the README's results table shows, so that a test can hold the README to the
committed outputs (``tests/test_readme_results.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

RESULT_PREFIX = "result: "


@dataclass(frozen=True)
class Spread:
    """The mean and sample standard deviation of ``n`` runs (seeds, folds, held-out speakers)."""

    mean: float
    sd: float
    n: int
    over: str = "seeds"

    def format(self, fmt: str = ".2f", scale: float = 1.0, unit: str = "", label: bool = True) -> str:
        """``"<mean> ± <sd><unit> (<n> <over>)"``; ``scale=100, unit="%"`` shows fractions as percent.

        Example: ``spread([0.93, 0.95, 0.94]).format(".1f", scale=100, unit="%")`` gives
        ``"94.0 ± 1.0% (3 seeds)"``.
        """
        if self.n == 1:  # one run (see summarise_runs): its value, no spread
            return f"{self.mean * scale:{fmt}}{unit}" + (" (1 run)" if label else "")
        text = f"{self.mean * scale:{fmt}} ± {self.sd * scale:{fmt}}{unit}"
        return f"{text} ({self.n} {self.over})" if label else text

    def __str__(self) -> str:
        return self.format()


def spread(values: ArrayLike, over: str = "seeds") -> Spread:
    """Mean ± sample standard deviation (``ddof=1``) of one number measured over several runs.

    Raises:
        ValueError: fewer than two values (a spread needs two runs), or a NaN/inf among them.
    """
    array = np.asarray(values, dtype=float).ravel()
    if array.size < 2:
        raise ValueError(
            f"A spread needs at least two runs, got {array.size} value(s): run more {over} "
            "or report the single value without a ±."
        )
    if not np.isfinite(array).all():
        raise ValueError(f"spread got a NaN or infinite value among {array.tolist()}: check the runs.")
    return Spread(float(array.mean()), float(array.std(ddof=1)), int(array.size), over)


def print_results(results: Mapping[str, object]) -> None:
    """Print the notebook's headline figures, one ``result: <what> = <value>`` line each.

    Values are printed as given when they are strings (format them exactly as the README
    shows them), with ``str`` for :class:`Spread`, and with 4 significant digits for numbers.

    Raises:
        ValueError: no results, an empty name, a name containing ``=`` or a newline, or a
            NaN/inf number.
    """
    if not results:
        raise ValueError("print_results needs at least one result, e.g. {'test accuracy': '91.2%'}.")
    for name, value in results.items():
        if not isinstance(name, str) or not name.strip() or "=" in name or "\n" in name:
            raise ValueError(f"A result needs a one-line name without '=', got {name!r}.")
        if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
            if not math.isfinite(float(value)):
                raise ValueError(f"Result {name!r} is {value}: a run went wrong; fix it before reporting.")
            text = f"{float(value):.4g}" if isinstance(value, (float, np.floating)) else f"{value:,}"
        else:
            text = str(value)
        print(f"{RESULT_PREFIX}{name} = {text}")


def summarise_runs(values: ArrayLike, over: str = "seeds") -> Spread:
    """:func:`spread` for two or more runs; one run (a fast profile that trains one seed or one
    fold) gives its value with ``sd`` NaN, which formats without a ± as ``<value> (1 run)``.

    Raises:
        ValueError: no values, or a NaN/inf among them.
    """
    array = np.asarray(values, dtype=float).ravel()
    if array.size == 0:
        raise ValueError("summarise_runs got no values: pass one number per run.")
    if array.size == 1:
        if not np.isfinite(array[0]):
            raise ValueError(f"summarise_runs got {array[0]}: check the run.")
        return Spread(float(array[0]), float("nan"), 1, over)
    return spread(array, over=over)


def format_runs(
    values: ArrayLike,
    fmt: str = ".2f",
    scale: float = 1.0,
    unit: str = "",
    over: str = "seeds",
    label: bool = True,
) -> str:
    """``summarise_runs(values, over).format(...)``: ``"94.0 ± 1.0% (3 seeds)"`` for several runs,
    ``"94.0% (1 run)"`` for one. ``label=False`` leaves out the bracket (a table that states it once).
    """
    return summarise_runs(values, over).format(fmt, scale=scale, unit=unit, label=label)
