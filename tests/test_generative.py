"""Grids, latent walks and the scores of generated images: right answers and clear refusals."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy.stats  # noqa: E402

from helpers import generative  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_image_grid_layout_and_titles():
    images = np.random.default_rng(0).random((7, 28, 28, 1))
    fig = generative.plot_image_grid(images, n_cols=3, titles=[str(i) for i in range(7)])
    assert len(fig.axes) == 9  # 3 rows of 3; the last two cells stay empty
    assert [ax.get_title() for ax in fig.axes[:7]] == [str(i) for i in range(7)]
    assert len(fig.axes[0].images) == 1 and len(fig.axes[8].images) == 0


def test_image_grid_refuses_bad_input():
    with pytest.raises(ValueError, match="images is empty"):
        generative.plot_image_grid(np.zeros((0, 28, 28)))
    with pytest.raises(ValueError, match=r"must be a batch of images shaped .* got shape \(28, 28\)"):
        generative.plot_image_grid(np.zeros((28, 28)))
    with pytest.raises(ValueError, match="Got 2 titles for 3 images"):
        generative.plot_image_grid(np.zeros((3, 8, 8)), titles=["a", "b"])
    with pytest.raises(ValueError, match="n_cols must be at least 1"):
        generative.plot_image_grid(np.zeros((3, 8, 8)), n_cols=0)


def test_latent_grid_covers_the_prior_by_quantiles():
    grid = generative.latent_grid(5, quantiles=(0.1, 0.9))
    assert grid.shape == (25, 2) and grid.dtype == np.float32
    expected = scipy.stats.norm.ppf(np.linspace(0.1, 0.9, 5))
    np.testing.assert_allclose(grid[:5, 0], expected, rtol=1e-5)  # first row: x grows to the right
    np.testing.assert_allclose(grid[::5, 1], expected[::-1], rtol=1e-5)  # first column: y falls downwards
    with pytest.raises(ValueError, match="n >= 2 points per side"):
        generative.latent_grid(1)
    with pytest.raises(ValueError, match="0 < low < high < 1"):
        generative.latent_grid(4, quantiles=(0.0, 0.9))


def test_latent_walk_decodes_every_grid_point_in_order():
    def decode(codes):  # an "image" whose pixels are the code's first coordinate
        return np.repeat(codes[:, :1, None], 4, axis=1).repeat(4, axis=2)

    images = generative.latent_walk(decode, n=3)
    assert images.shape == (9, 4, 4)
    np.testing.assert_allclose(images[:, 0, 0], generative.latent_grid(3)[:, 0])
    with pytest.raises(ValueError, match="one image per code"):
        generative.latent_walk(lambda codes: codes[:2], n=3)


def test_interpolate_includes_both_ends():
    path = generative.interpolate([0.0, 0.0], [1.0, 2.0], steps=5)
    np.testing.assert_allclose(path[[0, -1]], [[0, 0], [1, 2]])
    np.testing.assert_allclose(path[2], [0.5, 1.0])
    with pytest.raises(ValueError, match="same non-zero size, got 2 and 3"):
        generative.interpolate([0, 0], [1, 1, 1])
    with pytest.raises(ValueError, match="at least 2 steps"):
        generative.interpolate([0, 0], [1, 1], steps=1)


def test_frechet_distance_of_a_sample_with_itself_is_zero():
    features = np.random.default_rng(1).normal(size=(500, 8))
    assert generative.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_matches_the_closed_form_for_diagonal_gaussians():
    # For diagonal covariances the distance is |mu_a - mu_b|^2 + sum (sigma_a - sigma_b)^2.
    rng = np.random.default_rng(2)
    a = rng.normal(0.0, 1.0, size=(200_000, 3))
    b = rng.normal([1.0, 0.0, -2.0], [2.0, 1.0, 0.5], size=(200_000, 3))
    expected = (1 + 0 + 4) + (1.0 + 0.0 + 0.25)
    assert generative.frechet_distance(a, b) == pytest.approx(expected, rel=0.02)
    # Symmetric, and it grows with the shift between the samples.
    assert generative.frechet_distance(b, a) == pytest.approx(generative.frechet_distance(a, b), rel=1e-6)
    assert generative.frechet_distance(a, a + 3.0) > generative.frechet_distance(a, a + 1.0)


def test_frechet_distance_refuses_mismatched_empty_or_too_small_samples():
    rng = np.random.default_rng(3)
    with pytest.raises(ValueError, match="features_a has 4 features per example but features_b has 5"):
        generative.frechet_distance(rng.normal(size=(50, 4)), rng.normal(size=(50, 5)))
    with pytest.raises(ValueError, match="features_b is empty"):
        generative.frechet_distance(rng.normal(size=(50, 4)), np.zeros((0, 4)))
    with pytest.raises(ValueError, match="must be 2-D"):
        generative.frechet_distance(rng.normal(size=50), rng.normal(size=50))
    with pytest.raises(ValueError, match="NaN or infinite"):
        generative.frechet_distance(np.full((50, 2), np.nan), rng.normal(size=(50, 2)))
    with pytest.raises(ValueError, match="has 10 examples for 16 features: its covariance is singular"):
        generative.frechet_distance(rng.normal(size=(10, 16)), rng.normal(size=(100, 16)))


def test_frechet_distance_with_a_singular_covariance_warns_and_stays_finite():
    # A feature that never varies (a dead ReLU unit) makes both covariances singular.
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(300, 5)), rng.normal(1.0, 1.0, size=(300, 5))
    a[:, 0] = b[:, 0] = 0.0
    with pytest.warns(RuntimeWarning, match="singular or ill-conditioned .* adding 1e-06"):
        distance = generative.frechet_distance(a, b)
    reference = generative.frechet_distance(a[:, 1:], b[:, 1:])  # the same without the dead unit
    assert np.isfinite(distance) and distance == pytest.approx(reference, rel=1e-3)


def test_classifier_features_reads_the_penultimate_layer():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input(shape=(4, 4, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(6, activation="relu", name="features"),
        keras.layers.Dense(3, activation="softmax"),
    ])
    images = np.random.default_rng(5).random((10, 4, 4, 1)).astype("float32")
    features, probs = generative.classifier_features(model, images, batch_size=4)
    assert features.shape == (10, 6) and probs.shape == (10, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    by_name, _ = generative.classifier_features(model, images, layer="features")
    np.testing.assert_allclose(by_name, features, rtol=1e-5)
    with pytest.raises(ValueError, match="No layer 'nope' in the classifier"):
        generative.classifier_features(model, images, layer="nope")
    with pytest.raises(ValueError, match="images is empty"):
        generative.classifier_features(model, np.zeros((0, 4, 4, 1)))


def test_classifier_features_builds_its_reader_once_and_follows_the_weights():
    import keras

    model = keras.Sequential([
        keras.Input(shape=(3,)), keras.layers.Dense(2, name="features"),
        keras.layers.Dense(2, activation="softmax"),
    ])
    points = np.ones((4, 3), dtype="float32")
    generative.classifier_features(model, points, layer="features")
    reader = generative._READERS[model]["features"]
    model.get_layer("features").set_weights([np.zeros((3, 2)), np.full(2, 7.0)])  # training goes on
    features, _ = generative.classifier_features(model, points, layer="features")
    assert generative._READERS[model]["features"] is reader  # not rebuilt (nor retraced) per call
    np.testing.assert_allclose(features, 7.0)  # but it reads the current weights


def test_classifier_features_refuses_a_model_without_inputs():
    import keras

    class Unbuilt(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ValueError, match="has no defined inputs: build it with keras.Input"):
        generative.classifier_features(Unbuilt(), np.zeros((2, 4)))


def test_class_coverage_tells_balance_from_collapse():
    eye = np.eye(4)
    balanced = np.repeat(eye, 25, axis=0)  # 100 confident samples, 25 per class
    scores = generative.class_coverage(balanced)
    assert scores == pytest.approx({"confidence": 1.0, "coverage": 1.0, "balance": 1.0})
    collapsed = np.repeat(eye[:1], 100, axis=0)  # every sample is class 0
    scores = generative.class_coverage(collapsed)
    assert scores["coverage"] == 0.25 and scores["balance"] == pytest.approx(0.0)
    unsure = np.full((10, 4), 0.25)
    assert generative.class_coverage(unsure)["confidence"] == pytest.approx(0.25)
    # A class seen in 1 of 100 samples is below half a fair share (12.5%): not covered.
    rare = np.concatenate([np.repeat(eye[:3], 33, axis=0), eye[3:]])
    assert generative.class_coverage(rare)["coverage"] == 0.75
    assert generative.class_coverage(rare, min_share=0.01)["coverage"] == 1.0


def test_class_coverage_refuses_bad_input():
    with pytest.raises(ValueError, match="non-empty"):
        generative.class_coverage(np.zeros((0, 10)))
    with pytest.raises(ValueError, match="at least 2 classes"):
        generative.class_coverage(np.ones((5, 1)))
    with pytest.raises(ValueError, match="pass the softmax output, not logits"):
        generative.class_coverage(np.array([[2.0, -1.0], [0.5, 3.0]]))
    with pytest.raises(ValueError, match=r"min_share must be in \(0, 1\]"):
        generative.class_coverage(np.eye(2), min_share=0.0)


def test_kernel_distance_matches_a_hand_computed_case():
    # k(x, y) = (x y / 1 + 1)^3 on 1-D points: Kxx off-diagonal mean 1, Kyy 27, Kxy mean 37/4.
    values = generative.kernel_distance([[0.0], [1.0]], [[1.0], [2.0]], n_subsets=1, subset_size=2)
    assert values.shape == (1,)
    assert values[0] == pytest.approx(1.0 + 27.0 - 2.0 * 37.0 / 4.0)


def test_kernel_distance_is_near_zero_for_one_distribution_and_large_for_two():
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(600, 4)), rng.normal(size=(600, 4)), rng.normal(2.0, 1.0, size=(600, 4))
    same = generative.kernel_distance(a, b, n_subsets=5, subset_size=300)
    apart = generative.kernel_distance(a, c, n_subsets=5, subset_size=300)
    assert abs(same.mean()) < 0.05 and apart.mean() > 1.0
    again = generative.kernel_distance(a, c, n_subsets=5, subset_size=300)
    np.testing.assert_array_equal(apart, again)  # seeded subsets


def test_kernel_distance_refuses_bad_input():
    a = np.zeros((10, 3))
    with pytest.raises(ValueError, match="subset_size must be between 2 and the smaller set's size"):
        generative.kernel_distance(a, a, subset_size=20)
    with pytest.raises(ValueError, match="n_subsets must be at least 1"):
        generative.kernel_distance(a, a, n_subsets=0, subset_size=5)
    with pytest.raises(ValueError, match="features_a has 3 features per example but features_b has 2"):
        generative.kernel_distance(a, np.zeros((10, 2)), subset_size=5)


def test_precision_recall_of_identical_and_disjoint_sets():
    points = np.random.default_rng(0).normal(size=(200, 5))
    assert generative.precision_recall(points, points) == {"precision": 1.0, "recall": 1.0}
    assert generative.precision_recall(points, points + 100.0) == {"precision": 0.0, "recall": 0.0}


def test_precision_recall_tells_realism_from_coverage():
    # Real points 0..9 on a line (k=1: each ball has radius 1). A generator that only draws
    # near 0 is realistic (precision 1) but covers little (recall: points 0 and 1 only).
    real = np.arange(10.0)[:, None]
    collapsed = np.array([[0.0], [0.1], [0.2], [0.3]])
    scores = generative.precision_recall(real, collapsed, k=1)
    assert scores["precision"] == 1.0
    assert scores["recall"] == pytest.approx(0.1)  # collapsed balls have radius 0.1: only 0 is inside


def test_precision_recall_refuses_bad_k():
    with pytest.raises(ValueError, match="k must be at least 1 and smaller than each set's size"):
        generative.precision_recall(np.zeros((3, 2)), np.zeros((3, 2)), k=3)


def test_nearest_distances_find_the_copy():
    reference = np.random.default_rng(0).random((50, 4, 4))
    queries = np.stack([reference[7], reference[3] + 0.5])
    distances, indices = generative.nearest_distances(queries, reference)
    assert indices[0] == 7 and distances[0] == pytest.approx(0.0, abs=1e-6)
    assert distances[1] > 0.5
    with pytest.raises(ValueError, match="queries has 16 features per example but reference has 9"):
        generative.nearest_distances(queries, np.zeros((5, 3, 3)))


def test_diversity_is_zero_for_copies_and_refuses_one_image():
    assert generative.diversity(np.ones((5, 3, 3))) == 0.0
    assert generative.diversity(np.stack([np.zeros(4), np.ones(4)])) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="at least 2 images"):
        generative.diversity(np.ones((1, 3)))


def test_dcgan_builders_and_gan_step_run():
    import keras

    generator = generative.build_dcgan_generator(noise_dim=8, filters=(4, 2))
    discriminator = generative.build_dcgan_discriminator(filters=(2, 4), spectral_norm=True)
    assert generator.output_shape == (None, 28, 28, 1) and discriminator.output_shape == (None, 1)
    gan = generative.GAN(generator, discriminator, seed=0, label_smoothing=0.1)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    history = gan.fit(np.random.default_rng(0).random((8, 28, 28, 1)).astype("float32"), batch_size=4,
                      epochs=1, verbose=0, callbacks=[snap := generative.FixedNoiseSamples(np.zeros((2, 8)))])
    assert set(history.history) == {"d_loss", "g_loss", "d_accuracy"}
    assert sorted(snap.snapshots) == [0, 1] and snap.snapshots[1].shape == (2, 28, 28, 1)
    assert generative.generate(generator, np.zeros((5, 8)), batch_size=2).shape == (5, 28, 28, 1)
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        generative.GAN(generator, discriminator, label_smoothing=0.7)
    with pytest.raises(ValueError, match="filters must be >= 1 and dropout"):
        generative.build_dcgan_discriminator(dropout=1.0)
    with pytest.raises(ValueError, match="noise_dim and filters must be >= 1"):
        generative.build_dcgan_generator(noise_dim=0)
    with pytest.raises(ValueError, match="every must be at least 1"):
        generative.FixedNoiseSamples(np.zeros((2, 8)), every=0)
    with pytest.raises(ValueError, match="inputs is empty"):
        generative.generate(generator, np.zeros((0, 8)))


@pytest.mark.parametrize("n_classes", [0, 3])
def test_vae_trains_and_decodes(n_classes):
    import keras

    vae = generative.VAE(2, n_classes=n_classes, image_shape=(4, 4, 1), beta=0.5)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    images = np.random.default_rng(0).random((8, 4, 4, 1)).astype("float32")
    data = (images, np.arange(8) % 3) if n_classes else images
    history = vae.fit(*((data,) if not n_classes else data), batch_size=4, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "reconstruction", "kl"}
    labels = np.zeros(3, dtype="int32") if n_classes else None
    assert tuple(vae.decode(np.zeros((3, 2)), labels).shape) == (3, 4, 4, 1)
    with pytest.raises(ValueError, match="beta"):
        generative.VAE(2, beta=-1.0)
