"""helpers.audio and the spoken-digit fixture: parsing, decoding, splits, features, baselines, noise."""

from __future__ import annotations

import io
import tarfile

import keras
import numpy as np
import pandas as pd
import pytest
from scipy.io import wavfile

from helpers import audio
from helpers.data import REGISTRY, store
from helpers.data.fixtures import audio as fixture

ENTRY = REGISTRY["spoken_digit"]
MIRROR = store.mirror_dir()


def _wav(samples, rate=8000) -> bytes:
    buffer = io.BytesIO()
    wavfile.write(buffer, rate, np.asarray(samples))
    return buffer.getvalue()


def _tone(n=800, digit=3) -> np.ndarray:
    return (np.sin(np.arange(n) * 0.1 * (digit + 1)) * 10000).astype(np.int16)


def _archive(tmp_path, members: dict[str, bytes], name="fsdd.tar.gz"):
    path = tmp_path / name
    with tarfile.open(path, "w:gz") as tar:
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture(scope="module")
def fixture_archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("fsdd")
    store._write_fixture(ENTRY, root)
    return root / ENTRY.files[0].path


@pytest.fixture(scope="module")
def table(fixture_archive):
    return audio.load_spoken_digits(fixture_archive)


# --- names and decoding ------------------------------------------------------------------


def test_parse_name_reads_digit_speaker_index_from_a_path():
    assert audio.parse_name("x/recordings/7_jackson_32.wav") == audio.RecordingName(7, "jackson", 32)


@pytest.mark.parametrize("name", ["7-jackson-32.wav", "10_theo_1.wav", "7_jackson_32.mp3", "7_Jackson_x.wav"])
def test_parse_name_refuses_other_names_naming_the_file(name):
    with pytest.raises(audio.AudioFormatError, match=f"Cannot parse the recording name '{name}'"):
        audio.parse_name(name)


def test_decode_wav_scales_int16_to_unit_range():
    wave = audio.decode_wav(_wav(np.array([0, -32768, 16384], np.int16)), "a.wav")
    assert wave.dtype == np.float32 and wave.tolist() == [0.0, -1.0, 0.5]


def test_decode_wav_refuses_a_truncated_file():
    with pytest.raises(audio.AudioFormatError, match=r"1_theo_2\.wav is truncated"):
        audio.decode_wav(_wav(_tone())[:600], "1_theo_2.wav")


@pytest.mark.parametrize("data", [b"", b"<html>not found</html>", b"RIFF\x00\x00"])
def test_decode_wav_refuses_non_wav_bytes(data):
    with pytest.raises(audio.AudioFormatError, match=r"1_theo_2\.wav is not a readable WAV file"):
        audio.decode_wav(data, "1_theo_2.wav")


def test_decode_wav_refuses_another_sample_rate():
    with pytest.raises(audio.AudioFormatError, match=r"1_theo_2\.wav is sampled at 16000 Hz, expected 8000"):
        audio.decode_wav(_wav(_tone(), rate=16000), "1_theo_2.wav")


def test_decode_wav_refuses_stereo():
    stereo = np.stack([_tone(), _tone()], axis=1)
    with pytest.raises(audio.AudioFormatError, match=r"1_theo_2\.wav has 2 channels, expected mono"):
        audio.decode_wav(_wav(stereo), "1_theo_2.wav")


def test_decode_wav_refuses_an_empty_recording():
    with pytest.raises(audio.AudioFormatError, match=r"1_theo_2\.wav is an empty recording"):
        audio.decode_wav(_wav(np.zeros(0, np.int16)), "1_theo_2.wav")


# --- the archive -------------------------------------------------------------------------


def test_fixture_archive_loads_with_the_real_layout(table):
    n = len(fixture.SPEAKERS) * 10 * fixture.RECORDINGS_PER_SPEAKER_DIGIT
    assert len(table) == n and sorted(table["speaker"].unique()) == list(fixture.SPEAKERS)
    assert table.groupby("digit").size().tolist() == [n // 10] * 10
    assert (table["samples"] == table["wave"].map(len)).all()
    assert list(table.columns) == ["name", "digit", "speaker", "index", "samples", "wave"]


def test_fixture_writer_refuses_another_entry(tmp_path):
    with pytest.raises(ValueError, match="writes only the spoken_digit archive, not 'insurance'"):
        fixture.write_spoken_digits(tmp_path, np.random.default_rng(0), REGISTRY["insurance"])


def test_loader_skips_files_outside_recordings(tmp_path):
    path = _archive(tmp_path, {"fsdd/README.md": b"hi", "fsdd/recordings/3_theo_0.wav": _wav(_tone())})
    assert audio.load_spoken_digits(path)["name"].tolist() == ["3_theo_0.wav"]


def test_loader_names_a_badly_named_recording(tmp_path):
    path = _archive(tmp_path, {"fsdd/recordings/three_theo_0.wav": _wav(_tone())})
    with pytest.raises(
        audio.AudioFormatError, match="Cannot parse the recording name 'fsdd/recordings/three_theo_0.wav'"
    ):
        audio.load_spoken_digits(path)


def test_loader_names_a_bad_recording_inside_the_archive(tmp_path):
    path = _archive(tmp_path, {"fsdd/recordings/3_theo_0.wav": _wav(_tone(), rate=44100)})
    with pytest.raises(audio.AudioFormatError, match=r"fsdd/recordings/3_theo_0\.wav is sampled at 44100 Hz"):
        audio.load_spoken_digits(path)


def test_loader_refuses_a_truncated_archive(tmp_path, fixture_archive):
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(fixture_archive.read_bytes()[:50_000])
    with pytest.raises(audio.AudioFormatError, match="cut.tar.gz is not a readable .tar.gz archive"):
        audio.load_spoken_digits(cut)


def test_loader_refuses_an_archive_without_recordings(tmp_path):
    path = _archive(tmp_path, {"fsdd/README.md": b"hi"})
    with pytest.raises(audio.AudioFormatError, match="holds no recordings/"):
        audio.load_spoken_digits(path)


def test_loader_refuses_a_missing_archive(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist: pass the FSDD"):
        audio.load_spoken_digits(tmp_path / "nothing.tar.gz")


def test_registry_digest_is_the_mirror_files_and_layout_matches_the_fixture(fixture_archive):
    if MIRROR is None or not (MIRROR / ENTRY.files[0].path).is_file():
        pytest.skip(f"needs COURSE_DATA_MIRROR pointing at a mirror that holds {ENTRY.files[0].path}")
    real = MIRROR / ENTRY.files[0].path
    store.verify(real, ENTRY.files[0], "in the mirror", ENTRY)
    assert store.file_digest(real) in ENTRY.files[0].sha256 and ENTRY.redistribution is True
    with tarfile.open(real) as tar_real, tarfile.open(fixture_archive) as tar_fake:
        real_names = {m.name for m in tar_real if m.name.endswith(".wav")}
        fake_names = {m.name for m in tar_fake if m.name.endswith(".wav")}
        assert fake_names <= real_names  # the same prefix, folder and names
        first = sorted(real_names)[0]
        rate, samples = wavfile.read(io.BytesIO(tar_real.extractfile(first).read()))
        fake_rate, fake_samples = wavfile.read(io.BytesIO(tar_fake.extractfile(first).read()))
    assert (rate, samples.dtype, samples.ndim) == (fake_rate, fake_samples.dtype, fake_samples.ndim)


# --- splits --------------------------------------------------------------------------------


def test_official_split_uses_indices_0_to_4_as_test(table):
    split = audio.official_split(table)
    assert set(table["index"][split == "test"]) == {0, 1, 2, 3, 4}
    assert set(table["index"][split == "validation"]) == {5, 6, 7, 8, 9}
    assert table["index"][split == "train"].min() == 10


def test_official_split_refuses_validation_inside_the_test_indices(table):
    with pytest.raises(ValueError, match="overlap the official test indices 0-4"):
        audio.official_split(table, validation_indices=range(3, 8))


def test_splits_refuse_a_table_without_the_columns():
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['index', 'speaker'\]"):
        audio.speaker_folds(pd.DataFrame({"digit": [1]}))


def test_speaker_folds_hold_out_each_speaker_once_and_validate_on_training_speakers(table):
    folds = audio.speaker_folds(table)
    assert [f.held_out for f in folds] == sorted(fixture.SPEAKERS)
    for fold in folds:
        test_speakers = set(table["speaker"].iloc[fold.test])
        assert test_speakers == {fold.held_out}
        for part in (fold.train, fold.validation):
            assert fold.held_out not in set(table["speaker"].iloc[part])
        assert len(set(fold.train) | set(fold.validation) | set(fold.test)) == len(table)
        assert not set(fold.train) & set(fold.validation)


def test_speaker_folds_need_two_speakers(table):
    with pytest.raises(ValueError, match="at least two speakers"):
        audio.speaker_folds(table[table["speaker"] == "theo"])


# --- features --------------------------------------------------------------------------------


def test_pad_or_crop_pads_with_zeros_and_cuts_the_end():
    out = audio.pad_or_crop([np.ones(3), np.arange(6)], 4)
    assert out.tolist() == [[1, 1, 1, 0], [0, 1, 2, 3]]


@pytest.mark.parametrize(
    "args, message", [(([np.ones(3)], 0), "positive number"), (([], 4), "waves is empty")]
)
def test_pad_or_crop_refuses_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        audio.pad_or_crop(*args)


def test_feature_layers_shapes_and_mask_of_padding():
    waves = audio.pad_or_crop([np.random.default_rng(0).normal(size=1000)], 2000)
    mel = audio.log_mel_layer()(waves)
    assert tuple(mel.shape) == (1, audio.N_MELS, audio.n_frames(2000))
    mfcc = audio.MFCC()(mel)
    assert tuple(mfcc.shape) == (1, audio.n_frames(2000), audio.N_MFCC)
    mask = keras.ops.convert_to_numpy(audio.FrameMask()(waves))[0]
    # frames centred at t * HOP see sound while their window reaches sample 999
    assert mask.tolist() == [t * audio.HOP - audio.FFT_LENGTH // 2 < 1000 for t in range(len(mask))]


def test_log_mel_of_a_clip_does_not_depend_on_the_rest_of_the_batch():
    rng = np.random.default_rng(0)
    quiet = rng.normal(0, 1e-3, (1, 1600)).astype(np.float32)
    loud = rng.normal(0, 1.0, (1, 1600)).astype(np.float32)
    layer = audio.log_mel_layer()
    alone = keras.ops.convert_to_numpy(layer(quiet))
    together = keras.ops.convert_to_numpy(layer(np.concatenate([quiet, loud])))[:1]
    np.testing.assert_allclose(alone, together, rtol=1e-5, atol=1e-4)


def test_mfcc_layer_round_trips_through_a_saved_model(tmp_path):
    inputs = keras.Input((1600,))
    outputs = keras.layers.GRU(4)(
        audio.MFCC(5)(audio.log_mel_layer()(inputs)), mask=audio.FrameMask()(inputs)
    )
    model = keras.Model(inputs, outputs)
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(1).normal(size=(2, 1600)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), again.predict(x, verbose=0), atol=1e-6)


def test_mfcc_layer_refuses_zero_coefficients():
    with pytest.raises(ValueError, match="n_mfcc must be at least 1"):
        audio.MFCC(0)


def test_mfcc_frames_drop_padding_and_statistics_have_two_values_per_coefficient():
    frames = audio.mfcc_frames([np.ones(300) * 0.1, np.ones(1000) * 0.1], 800)
    assert [len(f) for f in frames] == [audio.n_frames(300), audio.n_frames(800)]
    assert audio.mfcc_statistics(frames).shape == (2, 2 * audio.N_MFCC)


@pytest.mark.parametrize(
    "frames, message", [([], "frames is empty"), ([np.zeros((0, 13))], r"frames\[0\] has shape")]
)
def test_mfcc_statistics_refuses_bad_input(frames, message):
    with pytest.raises(ValueError, match=message):
        audio.mfcc_statistics(frames)


# --- DTW ------------------------------------------------------------------------------------


def test_dtw_distance_is_zero_for_a_time_stretched_copy_and_positive_otherwise():
    a = np.array([[0.0], [1.0], [2.0]])
    stretched = np.array([[0.0], [0.0], [1.0], [1.0], [2.0]])
    assert audio.dtw_distance(a, stretched) == 0.0
    assert audio.dtw_distance(a, a[::-1]) > 0


def test_dtw_distance_refuses_mismatched_features():
    with pytest.raises(ValueError, match=r"same features, got \(3, 2\) and \(3, 3\)"):
        audio.dtw_distance(np.zeros((3, 2)), np.zeros((3, 3)))


def test_dtw_nearest_neighbour_picks_the_closest_template():
    up, down = np.linspace(0, 1, 8)[:, None], np.linspace(1, 0, 8)[:, None]
    predictions = audio.dtw_nearest_neighbour([up, down], [1, 2], [np.linspace(0, 1, 12)[:, None], down[::2]])
    assert predictions.tolist() == [1, 2]


def test_dtw_nearest_neighbour_needs_one_label_per_template():
    with pytest.raises(ValueError, match="got 1 templates and 2 labels"):
        audio.dtw_nearest_neighbour([np.zeros((2, 1))], [1, 2], [np.zeros((2, 1))])


def test_pick_templates_takes_the_same_number_per_speaker_and_digit(table):
    train = np.flatnonzero(audio.official_split(table) == "train")
    picked = table.iloc[audio.pick_templates(table, train, 2)]
    assert picked.groupby(["speaker", "digit"]).size().eq(2).all()
    assert set(picked.index) <= set(train)
    with pytest.raises(ValueError, match="per_speaker_digit=3, but some speaker and digit has only 2"):
        audio.pick_templates(table, train, 3)
    with pytest.raises(ValueError, match="per_speaker_digit must be at least 1"):
        audio.pick_templates(table, train, 0)


# --- noise, augmentation, silence ---------------------------------------------------------


@pytest.mark.parametrize("snr_db", [20.0, 0.0])
def test_add_noise_reaches_the_signal_to_noise_ratio(snr_db):
    wave = np.sin(np.arange(80_000) * 0.05).astype(np.float32)
    noisy = audio.add_noise(wave, snr_db, np.random.default_rng(0))
    measured = 10 * np.log10(np.mean(wave**2) / np.mean((noisy - wave) ** 2))
    assert abs(measured - snr_db) < 0.1


def test_add_noise_none_returns_a_copy_and_refuses_silence():
    wave = np.ones(4, np.float32)
    assert audio.add_noise(wave, None, np.random.default_rng(0)).tolist() == wave.tolist()
    with pytest.raises(ValueError, match="empty or silent recording"):
        audio.add_noise(np.zeros(4), 10.0, np.random.default_rng(0))


def test_noisy_batch_keeps_the_padding_silent():
    batch = audio.noisy_batch([np.ones(5, np.float32)], 8, 10.0)
    assert batch.shape == (1, 8) and batch[0, 5:].tolist() == [0, 0, 0] and batch[0, :5].std() > 0


def test_augmented_clips_shift_and_keep_every_recording_whole():
    waves = [np.full(3, 0.5, np.float32), np.full(5, -0.5, np.float32), np.full(4, 0.25, np.float32)]
    clips = audio.AugmentedClips(waves, np.array([0, 1, 2]), length=10, batch_size=2, noise_p=0.0, seed=0)
    assert len(clips) == 2
    seen = {}
    for batch in range(len(clips)):
        x, y = clips[batch]
        assert x.shape[1] == 10
        for row, label in zip(x, y, strict=True):
            seen[int(label)] = np.count_nonzero(row)
    assert seen == {0: 3, 1: 5, 2: 4}


def test_augmented_clips_refuse_bad_input():
    with pytest.raises(ValueError, match="one label per recording, got 2 recordings and 1 labels"):
        audio.AugmentedClips([np.ones(2), np.ones(2)], np.array([1]), length=4)
    with pytest.raises(ValueError, match=r"snr_db must be \(low, high\)"):
        audio.AugmentedClips([np.ones(2)], np.array([1]), length=4, snr_db=(10, 0))


def test_join_then_split_on_silence_finds_each_recording(table):
    waves = [table["wave"].iloc[i] for i in (0, 130, 260)]
    joined, spans = audio.join_with_silence(waves, gap_s=0.3)
    assert len(joined) == sum(map(len, waves)) + 4 * 2400
    found = audio.split_on_silence(joined)
    assert len(found) == 3
    for (start, end), (true_start, true_end) in zip(found, spans, strict=True):
        assert abs(start - true_start) < 400 and abs(end - true_end) < 400


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: audio.join_with_silence([]), "at least one recording"),
        (lambda: audio.join_with_silence([np.ones(2)], gap_s=-1), "gap_s must be >= 0"),
        (lambda: audio.split_on_silence(np.zeros(0)), "empty recording"),
    ],
)
def test_silence_helpers_refuse_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_seconds_per_clip_is_positive():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    assert audio.seconds_per_clip(model, np.zeros((8, 4), np.float32), repeats=1) > 0


def test_the_format_check_refuses_an_archive_without_every_digit(tmp_path):
    import io
    import tarfile

    from helpers.data.checks import FormatError, check_format
    from helpers.data.registry import Check

    path = tmp_path / "fsdd.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name in ("fsdd/recordings/0_jackson_0.wav", "fsdd/recordings/1_jackson_0.wav"):
            info = tarfile.TarInfo(name)
            info.size = 4
            tar.addfile(info, io.BytesIO(b"RIFF"))
    with pytest.raises(FormatError, match=r"digits \['0', '1'\], expected all of 0-9"):
        check_format(path, Check("spoken_digits", rows=(1, 10)))
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(FormatError, match="not a readable .tar.gz archive"):
        check_format(path, Check("spoken_digits", rows=(1, 10)))
