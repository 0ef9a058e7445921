"""Autoencoder builders, reconstruction errors, noise, clustering and anomaly scores."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import unsupervised

BUILDERS = [unsupervised.build_dense_autoencoder, unsupervised.build_conv_autoencoder]


@pytest.mark.parametrize("builder", BUILDERS)
def test_autoencoders_keep_the_shape_and_code_size(builder):
    autoencoder, encoder = builder(5, image_shape=(28, 28))
    images = np.random.default_rng(0).random((3, 28, 28)).astype("float32")
    rebuilt = autoencoder.predict(images, verbose=0)
    assert rebuilt.shape == (3, 28, 28)
    assert 0.0 <= rebuilt.min() and rebuilt.max() <= 1.0
    assert encoder.predict(images, verbose=0).shape == (3, 5)
    assert encoder.get_layer("code") is autoencoder.get_layer("code")  # shared weights


def test_autoencoder_builders_refuse_bad_input():
    with pytest.raises(ValueError, match="code_size must be a whole number >= 1"):
        unsupervised.build_dense_autoencoder(0)
    with pytest.raises(ValueError, match=r"image_shape must be \(height, width\)"):
        unsupervised.build_dense_autoencoder(2, image_shape=(28, 28, 1))
    with pytest.raises(ValueError, match="divisible by 4"):
        unsupervised.build_conv_autoencoder(2, image_shape=(30, 30))


def test_reconstruction_errors_are_per_image_mse():
    images = np.zeros((2, 4, 4))
    rebuilt = np.zeros((2, 4, 4))
    rebuilt[1] = 0.5
    np.testing.assert_allclose(unsupervised.reconstruction_errors(images, rebuilt), [0.0, 0.25])
    with pytest.raises(ValueError, match="differ in shape"):
        unsupervised.reconstruction_errors(images, np.zeros((2, 16)))
    with pytest.raises(ValueError, match="non-empty batch"):
        unsupervised.reconstruction_errors(np.zeros((0, 4)), np.zeros((0, 4)))


def test_add_noise_is_seeded_and_clipped():
    images = np.full((2, 8, 8), 0.5)
    noisy = unsupervised.add_noise(images, 0.3, seed=1)
    assert noisy.dtype == np.float32 and noisy.min() >= 0 and noisy.max() <= 1
    assert not np.allclose(noisy, images)
    np.testing.assert_array_equal(noisy, unsupervised.add_noise(images, 0.3, seed=1))
    with pytest.raises(ValueError, match="divide by 255 first"):
        unsupervised.add_noise(images * 255, 0.1)
    with pytest.raises(ValueError, match="stddev must be >= 0"):
        unsupervised.add_noise(images, -0.1)


def test_clustering_scores_ignore_cluster_names():
    truth = [0, 0, 1, 1, 2, 2]
    assert unsupervised.clustering_scores(truth, [2, 2, 0, 0, 1, 1]) == {"NMI": 1.0, "ARI": 1.0}
    mixed = unsupervised.clustering_scores(truth, [0, 1, 0, 1, 0, 1])
    assert mixed["NMI"] < 0.1 and mixed["ARI"] < 0
    with pytest.raises(ValueError, match="one cluster per example"):
        unsupervised.clustering_scores(truth, [0, 1])


def test_anomaly_scores():
    report = unsupervised.anomaly_scores([0, 0, 0, 1], [0.1, 0.2, 0.3, 0.9])
    assert report == {"ROC AUC": 1.0, "average precision": 1.0, "anomaly share": 0.25}
    assert unsupervised.anomaly_scores([0, 1, 0, 1], [0.9, 0.1, 0.8, 0.2])["ROC AUC"] == 0.0
    with pytest.raises(ValueError, match="both normal"):
        unsupervised.anomaly_scores([0, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="one score per example"):
        unsupervised.anomaly_scores([0, 1], [0.1])


@pytest.mark.parametrize("n_classes", [0, 10])
def test_code_encoder_and_decoder_mirror_each_other(n_classes):
    encoder = unsupervised.build_code_encoder(16, n_classes)
    decoder = unsupervised.build_code_decoder(16, n_classes)
    assert [tuple(o.shape) for o in encoder.outputs] == [(None, 16), (None, 16)]
    assert tuple(decoder.outputs[0].shape) == (None, 28, 28, 1)
    if not n_classes:  # the sizes notebook 12 prints
        assert (encoder.count_params(), decoder.count_params()) == (237_984, 236_688)


def test_code_builders_refuse_bad_input():
    with pytest.raises(ValueError, match="code_size must be a whole number"):
        unsupervised.build_code_encoder(0)
    with pytest.raises(ValueError, match="hidden_units must be one or more layer widths"):
        unsupervised.build_code_decoder(4, hidden_units=())
    with pytest.raises(ValueError, match="n_classes must be 0"):
        unsupervised.build_code_encoder(4, n_classes=-1)


def test_train_autoencoder_fits_and_names():
    images = np.random.default_rng(0).random((16, 28, 28)).astype("float32")
    autoencoder, encoder, history = unsupervised.train_autoencoder(
        unsupervised.build_dense_autoencoder, 3, images, validation=(images, images), epochs=1, batch_size=8)
    assert autoencoder.name == "dens_ae_3" and encoder.output_shape == (None, 3)
    assert len(history.history["val_loss"]) == 1


def test_train_autoencoder_refuses_bad_input():
    images = np.zeros((4, 28, 28), dtype="float32")
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        unsupervised.train_autoencoder(unsupervised.build_dense_autoencoder, 3, images,
                                       validation=(images, images), epochs=0)
    with pytest.raises(ValueError, match="same shape"):
        unsupervised.train_autoencoder(unsupervised.build_dense_autoencoder, 3, images, targets=images[:2],
                                       validation=(images, images), epochs=1)
