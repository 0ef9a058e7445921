"""helpers.reporting: one way to report a spread, and the notebooks' results lines."""

import math

import numpy as np
import pytest

from helpers.reporting import Spread, print_results, spread


def test_spread_is_the_sample_standard_deviation_with_the_count_in_the_label():
    s = spread([500.0, 493.9, 500.0])
    assert s.n == 3 and s.over == "seeds"
    assert math.isclose(s.mean, 497.9666, rel_tol=1e-5)
    assert math.isclose(s.sd, 3.5218, rel_tol=1e-4)  # np.std (population) would give 2.876
    assert s.format(".1f") == "498.0 ± 3.5 (3 seeds)"


def test_spread_formats_fractions_as_percent_and_names_what_varied():
    s = spread([0.93, 0.95, 0.94, 0.94, 0.94], over="folds")
    assert s.format(".1f", scale=100, unit="%") == "94.0 ± 0.7% (5 folds)"
    assert s.format(".1f", scale=100, unit="%", label=False) == "94.0 ± 0.7%"
    assert str(Spread(1.0, 0.5, 3)) == "1.00 ± 0.50 (3 seeds)"


@pytest.mark.parametrize("values", [[1.0], [], [1.0, float("nan")], [1.0, float("inf")]])
def test_spread_refuses_what_is_not_a_spread(values):
    with pytest.raises(ValueError, match="spread"):
        spread(values)


def test_print_results_prints_one_line_per_figure(capsys):
    print_results({"test accuracy": "91.2%", "DQN return": spread([500.0, 493.9, 500.0]), "MAE": 567.981,
                   "parameters": 12345})
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "result: test accuracy = 91.2%",
        "result: DQN return = 497.97 ± 3.52 (3 seeds)",
        "result: MAE = 568",
        "result: parameters = 12,345",
    ]


@pytest.mark.parametrize(
    "results, message",
    [({}, "at least one"), ({"a = b": 1.0}, "without '='"), ({"": 1.0}, "one-line name"),
     ({"loss": float("nan")}, "went wrong")],
)
def test_print_results_refuses_bad_input(results, message):
    with pytest.raises(ValueError, match=message):
        print_results(results)


def test_format_runs_gives_a_spread_for_several_runs_and_the_value_for_one():
    from helpers.reporting import format_runs

    assert format_runs([0.93, 0.95, 0.94], ".1f", scale=100, unit="%") == "94.0 ± 1.0% (3 seeds)"
    assert format_runs([0.7412], ".3f") == "0.741 (1 run)"
    assert format_runs([0.7412], ".3f", label=False) == "0.741"
    two = [0.93, 0.95]
    assert format_runs(two, ".1f", 100, "%", label=False) == spread(two).format(".1f", 100, "%", label=False)
    with pytest.raises(ValueError, match="got no values"):
        format_runs([])
    with pytest.raises(ValueError, match="check the run"):
        format_runs([float("nan")])
    with pytest.raises(ValueError, match="NaN or infinite"):
        format_runs([0.5, float("inf")])


def test_summarise_runs_is_the_spread_for_several_runs_and_the_value_for_one():
    from helpers.reporting import summarise_runs

    assert summarise_runs([500.0, 493.9, 500.0]) == spread([500.0, 493.9, 500.0])
    one = summarise_runs([0.5], over="folds")
    assert (one.mean, one.n, one.over) == (0.5, 1, "folds") and np.isnan(one.sd)
    assert one.format(".1f", scale=100, unit="%") == "50.0% (1 run)"
