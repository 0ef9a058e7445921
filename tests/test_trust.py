"""helpers.trust: explanations and their checks, calibration, uncertainty and abstaining."""

import math

import keras
import numpy as np
import pandas as pd
import pytest

from helpers import trust

SHAPE = (6, 6, 1)


def _linear_model(seed=0):
    """Two class scores, each a fixed linear function of the pixels (no bias)."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(SHAPE), keras.layers.Flatten(),
                              keras.layers.Dense(2, use_bias=False)])
    weights = np.random.default_rng(seed).normal(size=(36, 2)).astype("float32")
    model.layers[-1].set_weights([weights])
    return model, weights


def _conv_model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input(SHAPE), keras.layers.Conv2D(4, 3, padding="same", activation="tanh", name="conv"),
        keras.layers.Flatten(name="flatten"), keras.layers.Dropout(0.5),
        keras.layers.Dense(3, activation="softplus"),
        keras.layers.Dense(3)])


def _images(n=4, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, *SHAPE)).astype("float32")


# ----------------------------------------------------------------------------- explanations

def test_saliency_smoothgrad_and_occlusion_recover_a_linear_models_weights():
    model, weights = _linear_model()
    x = _images()
    w0 = weights[:, 0].reshape(SHAPE)
    assert np.allclose(trust.gradient_saliency(model, x, class_index=0), w0, atol=1e-5)
    assert np.allclose(trust.smoothgrad(model, x, class_index=0, samples=3), w0, atol=1e-5)
    drops = trust.occlusion(model, x, class_index=0, patch=1)  # deleting pixel i removes w_i * x_i
    assert np.allclose(drops, (x * w0)[..., 0], atol=1e-4)


def test_integrated_gradients_are_complete():
    model, _ = _linear_model()
    x = _images()
    exact = trust.integrated_gradients(model, x, class_index=1, steps=1)
    assert np.allclose(trust.completeness_gap(model, x, exact, class_index=1), 0, atol=1e-4)
    conv = _conv_model()
    attributions = trust.integrated_gradients(conv, x, steps=64)
    outputs = np.asarray(conv(x))
    at_baseline = np.asarray(conv(np.zeros_like(x)))[np.arange(len(x)), outputs.argmax(1)]
    difference = outputs.max(axis=1) - at_baseline
    gap = trust.completeness_gap(conv, x, attributions)
    assert np.all(np.abs(gap) <= 0.01 * np.abs(difference) + 1e-4)
    coarse = trust.completeness_gap(conv, x, trust.integrated_gradients(conv, x, steps=1))
    assert np.abs(coarse).mean() > np.abs(gap).mean()  # the check can fail: too few steps break it


def test_integrated_gradients_with_a_baseline_image():
    model, _ = _linear_model()
    x, baseline = _images(), np.full(SHAPE, 0.5, dtype="float32")
    attributions = trust.integrated_gradients(model, x, baseline=baseline, steps=2)
    assert np.allclose(trust.completeness_gap(model, x, attributions, baseline=baseline), 0, atol=1e-4)


def test_grad_cam_is_a_non_negative_map_per_image():
    model = _conv_model()
    cam = trust.grad_cam(model, _images(3), "conv")
    assert cam.shape == (3, 6, 6) and cam.min() >= 0


def test_heatmap_sums_absolute_values_over_channels():
    attributions = np.array([[[[1.0, -2.0]]]])
    assert trust.heatmap(attributions).tolist() == [[[3.0]]]
    assert trust.heatmap(np.array([[[-1.0]]])).tolist() == [[[1.0]]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: trust.gradient_saliency(m, np.zeros((2, 6, 6))), r"images\[\.\.\., None\]"),
        (lambda m: trust.gradient_saliency(m, np.full((1, *SHAPE), np.nan)), "NaN"),
        (lambda m: trust.gradient_saliency(m, np.zeros((0, *SHAPE))), "empty"),
        (lambda m: trust.gradient_saliency(m, _images(2), class_index=[0, 1, 0]), "one class per image"),
        (lambda m: trust.smoothgrad(m, _images(), samples=0), "samples must be at least 1"),
        (lambda m: trust.integrated_gradients(m, _images(), steps=0), "steps must be at least 1"),
        (lambda m: trust.integrated_gradients(m, _images(), baseline=np.zeros((3, 3, 1))), "baseline must"),
        (lambda m: trust.completeness_gap(m, _images(), np.zeros((4, 3))), "attributions must have"),
        (lambda m: trust.grad_cam(m, _images(), "nope"), "'nope' is not a layer"),
        (lambda m: trust.grad_cam(m, _images(), "flatten"), "needs a convolutional layer"),
        (lambda m: trust.occlusion(m, _images(), patch=7), "patch must lie in 1..6"),
        (lambda m: trust.deletion_curve(m, _images(), maps=np.zeros((4, 5, 5))), r"one \(height, width\)"),
        (lambda m: trust.mc_dropout_probabilities(m, _images(), samples=0), "samples must be at least 1"),
    ],
)
def test_explanations_refuse_bad_input(call, message):
    model = _conv_model()
    with pytest.raises(ValueError, match=message):
        call(model)


def test_heatmap_refuses_other_shapes():
    with pytest.raises(ValueError, match="attributions must be"):
        trust.heatmap(np.zeros((2, 3)))


# ----------------------------------------------------------------------------- sanity checks

def test_rank_correlation_of_the_same_reversed_and_constant_maps():
    maps = np.arange(2 * 9, dtype=float).reshape(2, 3, 3)
    assert np.allclose(trust.rank_correlation(maps, maps), 1.0)
    assert np.allclose(trust.rank_correlation(maps, maps[:, ::-1, ::-1]), -1.0)
    result = trust.rank_correlation(maps, np.zeros_like(maps))
    assert np.isnan(result).all()  # a constant map has no ranking
    with pytest.raises(ValueError, match="same images' maps"):
        trust.rank_correlation(maps, maps[:1])


def test_deletion_curve_falls_faster_in_the_order_of_a_faithful_map():
    model, weights = _linear_model()
    x = np.ones((5, *SHAPE), dtype="float32")
    # Class 0 wins only while its positive-weight pixels are present: deleting them first is faithful.
    faithful = np.clip(weights[:, 0] - weights[:, 1], 0, None).reshape(1, 6, 6).repeat(5, axis=0)
    fractions, guided = trust.deletion_curve(model, x, faithful, class_index=0, steps=12)
    _, random = trust.deletion_curve(model, x, None, class_index=0, steps=12, seed=1)
    assert fractions[0] == 0 and fractions[-1] == 1 and guided.shape == (5, 13)
    assert np.allclose(guided[:, -1], 0.5) and np.allclose(random[:, -1], 0.5)  # all deleted: logits 0, 0
    assert trust.curve_area(fractions, guided) < trust.curve_area(fractions, random)


def test_curve_area_is_the_trapezoid_rule():
    assert trust.curve_area([0, 0.5, 1], [0, 0.5, 1]) == pytest.approx(0.5)
    assert trust.curve_area([0, 1], [[1, 1], [0, 0]]) == pytest.approx(0.5)  # the mean curve
    with pytest.raises(ValueError, match="strictly increasing"):
        trust.curve_area([0, 0], [1, 1])
    with pytest.raises(ValueError, match="one value per x"):
        trust.curve_area([0, 1], [1, 1, 1])


# ----------------------------------------------------------------------------- calibration

def test_ece_on_hand_computed_cases():
    # Two examples: 0.9 confident and right, 0.6 confident and wrong, in different bins:
    # ECE = 1/2 * |1 - 0.9| + 1/2 * |0 - 0.6| = 0.35.
    probs = np.array([[0.9, 0.1], [0.6, 0.4]])
    assert trust.expected_calibration_error(probs, np.array([0, 1]), bins=10) == pytest.approx(0.35)
    # Four examples at 0.75 confidence, three right: perfectly calibrated.
    calibrated = np.tile([[0.75, 0.25]], (4, 1))
    assert trust.expected_calibration_error(calibrated, np.array([0, 0, 0, 1])) == pytest.approx(0.0)
    # One bin: mean confidence (0.8 + 0.6) / 2 = 0.7, accuracy 1/2, ECE 0.2.
    probs = np.array([[0.8, 0.2], [0.4, 0.6]])
    assert trust.expected_calibration_error(probs, np.array([0, 0]), bins=1) == pytest.approx(0.2)


def test_reliability_bins_have_edges_counts_and_empty_bins():
    probs = np.array([[0.9, 0.1], [0.6, 0.4], [0.55, 0.45]])
    table = trust.reliability_bins(probs, np.array([0, 1, 0]), bins=2)
    assert isinstance(table, pd.DataFrame) and table["count"].tolist() == [0, 3]
    assert table["lower"].tolist() == [0.0, 0.5] and table["upper"].tolist() == [0.5, 1.0]
    assert math.isnan(table.loc[0, "accuracy"]) and table.loc[1, "accuracy"] == pytest.approx(2 / 3)
    assert table.loc[1, "confidence"] == pytest.approx((0.9 + 0.6 + 0.55) / 3)


def test_nll_and_brier_against_hand_computed_values():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    labels = np.array([0, 1])
    assert trust.negative_log_likelihood(probs, labels) == pytest.approx(-(math.log(0.7) + math.log(0.1)) / 2)
    brier = ((0.3**2 + 0.2**2 + 0.1**2) + (0.1**2 + 0.9**2 + 0.8**2)) / 2
    assert trust.brier_score(probs, labels) == pytest.approx(brier)


def test_temperature_scaling_recovers_a_known_temperature():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (20_000, 5))
    true_t = 2.5
    probs = trust.softmax(logits, temperature=true_t)
    labels = np.array([rng.choice(5, p=p) for p in probs])
    assert trust.fit_temperature(logits, labels) == pytest.approx(true_t, rel=0.05)
    assert trust.fit_temperature(logits / true_t, labels) == pytest.approx(1.0, rel=0.05)


ECE, HALF = trust.expected_calibration_error, np.array([[0.5, 0.5]])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ECE(np.array([[2.0, -1.0]]), np.array([0])), "not logits"),
        (lambda: ECE(HALF[0], np.array([0])), r"\(examples, classes\)"),
        (lambda: ECE(HALF, np.array([0, 1])), "one label per row"),
        (lambda: ECE(HALF, np.array([2])), r"0\.\.1"),
        (lambda: ECE(HALF, np.array([0.5])), "integer class"),
        (lambda: trust.reliability_bins(HALF, np.array([0]), bins=0), "bins must be"),
        (lambda: trust.softmax(np.zeros((2, 3)), temperature=0), "temperature must be positive"),
        (lambda: trust.softmax(np.array([[np.nan, 1.0]])), "NaN"),
        (lambda: trust.fit_temperature(np.zeros((2, 3)), np.array([0, 1]), bounds=(1, 0.5)), "0 < low"),
        (lambda: trust.fit_temperature(np.zeros((2, 3)), np.array([0, 5])), r"0\.\.2"),
    ],
)
def test_calibration_refuses_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------------------- uncertainty

def test_mc_dropout_samples_differ_and_need_dropout():
    model = _conv_model()
    samples = trust.mc_dropout_probabilities(model, _images(5), samples=4, batch_size=2)
    assert samples.shape == (4, 5, 3) and np.allclose(samples.sum(axis=2), 1, atol=1e-5)
    assert trust.predictive_variance(samples).min() > 0
    no_dropout, _ = _linear_model()
    with pytest.raises(ValueError, match="no Dropout layer"):
        trust.mc_dropout_probabilities(no_dropout, _images())
    with_bn = keras.Sequential([keras.Input(SHAPE), keras.layers.Flatten(), keras.layers.BatchNormalization(),
                                keras.layers.Dropout(0.5), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="BatchNormalization"):
        trust.mc_dropout_probabilities(with_bn, _images())


def test_entropy_variance_and_ood_auc():
    uniform, sure = np.full((1, 4), 0.25), np.array([[1.0, 0, 0, 0]])
    assert trust.predictive_entropy(uniform)[0] == pytest.approx(math.log(4))
    assert trust.predictive_entropy(sure)[0] == pytest.approx(0)
    members = np.stack([np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])])
    assert trust.predictive_entropy(members)[0] == pytest.approx(math.log(2))  # entropy of the mean
    assert trust.predictive_variance(members)[0] == pytest.approx(0.5)  # 0.25 per class
    assert trust.predictive_variance(np.stack([sure, sure]))[0] == 0
    assert trust.ood_auc([0.1, 0.2], [0.3, 0.4]) == 1.0
    assert trust.ood_auc([0.3, 0.4], [0.1, 0.2]) == 0.0
    with pytest.raises(ValueError, match="members or samples"):
        trust.predictive_variance(uniform)
    with pytest.raises(ValueError, match="non-empty array of finite"):
        trust.ood_auc([], [0.1])


# ----------------------------------------------------------------------------- abstaining

def test_risk_coverage_and_the_validation_threshold():
    conf = np.array([0.9, 0.8, 0.7, 0.6])
    correct = np.array([True, True, False, True])
    coverage, risk = trust.risk_coverage_curve(conf, correct)
    assert coverage.tolist() == [0.25, 0.5, 0.75, 1.0]
    assert np.allclose(risk, [0, 0, 1 / 3, 1 / 4])
    assert trust.threshold_for_risk(conf, correct, 0.0) == 0.8
    assert trust.threshold_for_risk(conf, correct, 0.3) == 0.6
    assert trust.selective_risk(conf, correct, 0.8) == (0.5, 0.0)
    assert trust.selective_risk(conf, [1, 1, 0, 1], 0.6) == (1.0, 0.25)


def test_threshold_never_splits_ties_and_may_accept_nothing():
    assert trust.threshold_for_risk([0.9, 0.8, 0.8], [True, True, False], 0.0) == 0.9
    assert trust.threshold_for_risk([0.9, 0.5], [False, True], 0.0) == math.inf
    coverage, risk = trust.selective_risk([0.9, 0.5], [False, True], math.inf)
    assert coverage == 0.0 and math.isnan(risk)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: trust.risk_coverage_curve([0.9, 0.8], [True]), "one value per example"),
        (lambda: trust.risk_coverage_curve([0.9], [3]), "must be booleans"),
        (lambda: trust.risk_coverage_curve([np.nan], [True]), "NaN"),
        (lambda: trust.threshold_for_risk([0.9], [True], 1.0), r"target_risk must lie in \[0, 1\)"),
        (lambda: trust.selective_risk([0.9], [True], math.nan), "threshold is NaN"),
    ],
)
def test_abstaining_refuses_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------------------- tabular

def test_function_regressor_works_with_sklearn_inspection():
    from sklearn.inspection import partial_dependence, permutation_importance

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    target = 3 * frame["a"].to_numpy()
    model = trust.FunctionRegressor(lambda data: 3 * np.asarray(data)[:, :1])
    importance = permutation_importance(model, frame, target, n_repeats=3, random_state=0,
                                        scoring="neg_mean_absolute_error")
    assert importance.importances_mean[0] > 1 and importance.importances_mean[1] == 0
    dependence = partial_dependence(model, frame, ["a"], grid_resolution=5, kind="average")
    assert np.allclose(np.diff(dependence["average"][0]) / np.diff(dependence["grid_values"][0]), 3)
    with pytest.raises(TypeError, match="needs predict_fn"):
        trust.FunctionRegressor().predict(frame)


def test_small_cnn_outputs_logits_and_names_its_last_convolution():
    model = trust.small_cnn(3)
    again = trust.small_cnn(3)
    assert model.output_shape == (None, 10) and model.get_layer("last_conv").filters == 32
    assert model.layers[-1].get_config()["activation"] == "linear"
    np.testing.assert_array_equal(model.get_weights()[0], again.get_weights()[0])
    assert sum(isinstance(layer, keras.layers.Dropout) for layer in model.layers) == 2
    with pytest.raises(ValueError, match="seed must be a whole number"):
        trust.small_cnn(0.5)


def test_explanations_give_one_non_negative_map_per_method_and_image():
    model = trust.small_cnn(0)
    images = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    maps = trust.explanations(model, images, [1, 2], smoothgrad_samples=2, ig_steps=2)
    assert list(maps) == ["gradient", "SmoothGrad", "integrated gradients", "Grad-CAM", "occlusion"]
    for heat in maps.values():
        assert heat.shape == (2, 28, 28) and (heat >= 0).all()
    with pytest.raises(ValueError, match="steps must be at least 1"):
        trust.explanations(model, images, [1, 2], ig_steps=0)


def test_insurance_split_and_network():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.integers(18, 65, 100), "charges": rng.random(100) * 1e4})
    X_train, X_val, y_train, y_val = trust.insurance_split(frame)  # noqa: N806
    assert (len(X_train), len(X_val)) == (64, 16) and "charges" not in X_train.columns
    assert y_train.dtype == np.float32 and len(y_val) == 16
    again = trust.insurance_split(frame)[0]
    assert X_train.index.equals(again.index)
    with pytest.raises(ValueError, match="'charges' column"):
        trust.insurance_split(frame.drop(columns="charges"))
    model = trust.insurance_network(5)
    assert model.output_shape == (None, 1) and model.loss == "mae"
    with pytest.raises(ValueError, match="n_features must be a positive"):
        trust.insurance_network(0)
