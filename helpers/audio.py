"""Spoken digits: reading recordings, the splits, features inside the model, baselines and noise.

Everything notebook 16 needs to go from the Free Spoken Digit Dataset's release archive
(``recordings/{digit}_{speaker}_{index}.wav``, 8 kHz mono 16-bit PCM) to a model that takes
raw audio:

- :func:`load_spoken_digits` reads every recording straight out of the ``.tar.gz`` (nothing
  is extracted to disk, so nothing half-extracted can ever be taken for good data) and
  decodes it with :func:`decode_wav`;
- :func:`official_split` (recordings 0-4 are test, as the dataset's README says) and
  :func:`speaker_folds` (leave one speaker out, validation carved from the training
  speakers);
- Keras layers that compute features inside the model (:func:`log_mel_layer`,
  :class:`MFCC`, :class:`FrameMask`), so a saved ``.keras`` model takes raw audio;
- the classical floors: :func:`dtw_nearest_neighbour` (dynamic time warping with
  ``librosa.sequence.dtw``) and :func:`mfcc_statistics` for a logistic regression;
- :func:`add_noise` (white noise at a signal-to-noise ratio), :class:`AugmentedClips`
  (noise and time-shift augmentation for ``fit``), :func:`join_with_silence` and
  :func:`split_on_silence` for a tiny transcription.

Decoding uses ``scipy.io.wavfile``: it returns the sample rate, the channel count and the
sample type exactly as stored, so another rate or a stereo file is refused instead of being
resampled or mixed silently; it reads from bytes (the archive member), needs no TensorFlow
graph, and it flags a data chunk cut short (``WavFileWarning``), which we turn into an
error. ``tf.audio.decode_wav`` would do for well-formed files, but it reads only 16-bit PCM
and its errors name no file.
"""

from __future__ import annotations

import io
import re
import tarfile
import time
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from scipy.io import wavfile

SAMPLE_RATE = 8000
DIGITS = tuple(range(10))
FILE_NAME = re.compile(r"^(?P<digit>[0-9])_(?P<speaker>[a-z]+)_(?P<index>[0-9]+)\.wav$")
RECORDINGS_DIR = "recordings"
# The official test set: recordings 0-4 of every speaker and digit (the dataset's README).
OFFICIAL_TEST_INDICES = range(0, 5)


class AudioFormatError(ValueError):
    """A recording (or the archive holding it) is not what the dataset promises."""


@dataclass(frozen=True)
class RecordingName:
    """What a file name says: ``{digit}_{speaker}_{index}.wav``."""

    digit: int
    speaker: str
    index: int


def parse_name(name: str) -> RecordingName:
    """Parse a file name such as ``"7_jackson_32.wav"`` (a path is fine: only its last part counts).

    Raises:
        AudioFormatError: naming the file and the expected pattern.
    """
    base = Path(str(name)).name
    match = FILE_NAME.match(base)
    if match is None:
        raise AudioFormatError(
            f"Cannot parse the recording name {str(name)!r}: expected '{{digit}}_{{speaker}}_{{index}}.wav' "
            "with a digit 0-9, a lower-case speaker name and a number, e.g. '7_jackson_32.wav'."
        )
    return RecordingName(int(match["digit"]), match["speaker"], int(match["index"]))


def decode_wav(data: bytes, name: str, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode one WAV file's bytes into float32 samples in [-1, 1].

    Args:
        data: the file's bytes.
        name: the file's name, for the error messages.
        sample_rate: the rate the recording must have (8,000 Hz for FSDD).

    Raises:
        AudioFormatError: naming the file, for a non-WAV or truncated file, another sample
            rate, more than one channel, or a recording without samples.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", wavfile.WavFileWarning)
        try:
            rate, samples = wavfile.read(io.BytesIO(data))
        except wavfile.WavFileWarning as warning:
            raise AudioFormatError(f"{name} is truncated ({warning}).") from None
        except Exception as error:  # ValueError, struct.error, EOFError: not a (complete) WAV
            raise AudioFormatError(
                f"{name} is not a readable WAV file, or it is truncated ({type(error).__name__}: {error})."
            ) from None
    if rate != sample_rate:
        raise AudioFormatError(
            f"{name} is sampled at {rate} Hz, expected {sample_rate} Hz: resample it first "
            "(e.g. scipy.signal.resample_poly) or pass sample_rate."
        )
    if samples.ndim != 1:
        raise AudioFormatError(
            f"{name} has {samples.shape[1]} channels, expected mono: mix it down first (mean over channels)."
        )
    if samples.size == 0:
        raise AudioFormatError(f"{name} is an empty recording (no samples).")
    if samples.dtype == np.uint8:  # 8-bit PCM is unsigned
        return (samples.astype(np.float32) - 128.0) / 128.0
    if np.issubdtype(samples.dtype, np.integer):
        return samples.astype(np.float32) / float(-np.iinfo(samples.dtype).min)
    return samples.astype(np.float32)


def load_spoken_digits(archive: str | Path, sample_rate: int = SAMPLE_RATE) -> pd.DataFrame:
    """Read every ``recordings/*.wav`` of an FSDD release archive (``.tar.gz``) without extracting it.

    Returns:
        One row per recording, sorted by speaker, digit and index: ``name``, ``digit``,
        ``speaker``, ``index``, ``samples`` (the length) and ``wave`` (float32 array).

    Raises:
        FileNotFoundError: ``archive`` does not exist.
        AudioFormatError: the archive is not a readable tar (truncated, corrupt), holds no
            recordings, or one recording is bad (the message names it).
    """
    archive = Path(archive)
    if not archive.is_file():
        raise FileNotFoundError(f"archive={str(archive)!r} does not exist: pass the FSDD .tar.gz file.")
    rows = []
    try:
        with tarfile.open(archive) as tar:
            for member in tar:
                parts = Path(member.name).parts
                if not member.isfile() or len(parts) < 2 or parts[-2] != RECORDINGS_DIR:
                    continue
                label = parse_name(member.name)
                handle = tar.extractfile(member)
                wave = decode_wav(handle.read(), member.name, sample_rate)
                rows.append(
                    {
                        "name": parts[-1],
                        "digit": label.digit,
                        "speaker": label.speaker,
                        "index": label.index,
                        "samples": wave.size,
                        "wave": wave,
                    }
                )
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise AudioFormatError(
            f"{archive.name} is not a readable .tar.gz archive: truncated or corrupt ({error}). "
            "Delete it and fetch it again."
        ) from None
    if not rows:
        raise AudioFormatError(
            f"{archive.name} holds no {RECORDINGS_DIR}/*.wav files: is it the FSDD archive?"
        )
    table = pd.DataFrame(rows)
    duplicated = table["name"].duplicated()
    if duplicated.any():
        raise AudioFormatError(f"{archive.name} holds {table['name'][duplicated].iloc[0]} twice.")
    return table.sort_values(["speaker", "digit", "index"], ignore_index=True)


def pad_or_crop(waves: Sequence[np.ndarray], length: int) -> np.ndarray:
    """Stack recordings into a ``(n, length)`` float32 array: zeros appended, or the end cut off.

    Raises:
        ValueError: ``length`` not positive, or no recordings.
    """
    if length <= 0:
        raise ValueError(f"length must be a positive number of samples, got {length}.")
    if len(waves) == 0:
        raise ValueError("waves is empty: pass at least one recording.")
    out = np.zeros((len(waves), length), np.float32)
    for row, wave in enumerate(waves):
        kept = np.asarray(wave, np.float32)[:length]
        out[row, : kept.size] = kept
    return out


def _check_table(table: pd.DataFrame) -> None:
    missing = {"digit", "speaker", "index"} - set(table.columns)
    if missing:
        raise ValueError(
            f"table lacks the column(s) {sorted(missing)}: pass the frame load_spoken_digits returns."
        )


def official_split(table: pd.DataFrame, validation_indices: range = range(5, 10)) -> pd.Series:
    """The dataset's own split, one label per row: ``"test"`` (index 0-4), ``"validation"``, ``"train"``.

    The README of FSDD makes recordings 0-4 of every speaker and digit the test set; the
    validation set is carved from the training recordings (by default indices 5-9).

    Raises:
        ValueError: missing columns, or validation indices that overlap the test indices.
    """
    _check_table(table)
    if set(validation_indices) & set(OFFICIAL_TEST_INDICES):
        raise ValueError(
            f"validation_indices {validation_indices} overlap the official test indices 0-4: "
            "validation must come from the training recordings (5-49)."
        )
    split = pd.Series("train", index=table.index, name="split")
    split[table["index"].isin(validation_indices)] = "validation"
    split[table["index"].isin(OFFICIAL_TEST_INDICES)] = "test"
    return split


@dataclass(frozen=True)
class Fold:
    """One speaker-independent fold: row positions of each split, and who is held out."""

    held_out: str
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray


def speaker_folds(table: pd.DataFrame, validation_indices: range = range(0, 5)) -> list[Fold]:
    """Leave one speaker out: every speaker is the test set once, the others train.

    Validation comes from the training speakers only (their recordings with an index in
    ``validation_indices``), so nothing that picks a model hears the held-out voice.

    Raises:
        ValueError: missing columns, or fewer than two speakers.
    """
    _check_table(table)
    speakers = sorted(table["speaker"].unique())
    if len(speakers) < 2:
        raise ValueError(f"speaker_folds needs at least two speakers, the table has {speakers}.")
    positions = np.arange(len(table))
    is_validation = table["index"].isin(validation_indices).to_numpy()
    folds = []
    for speaker in speakers:
        held = (table["speaker"] == speaker).to_numpy()
        folds.append(
            Fold(
                held_out=speaker,
                train=positions[~held & ~is_validation],
                validation=positions[~held & is_validation],
                test=positions[held],
            )
        )
    return folds


# --- features inside the model -------------------------------------------------------------

FFT_LENGTH = 256  # 32 ms at 8 kHz
HOP = 128  # 16 ms
N_MELS = 40
N_MFCC = 13


def log_mel_layer(
    n_mels: int = N_MELS, sample_rate: int = SAMPLE_RATE, name: str = "log_mel"
) -> keras.layers.Layer:
    """Keras 3's ``MelSpectrogram`` for 8 kHz speech: (batch, samples) -> (batch, n_mels, frames), dB.

    Its ``top_db`` floor is relative to the loudest value in the whole *batch*, so one loud
    clip would change every other clip's features; it is set out of reach here and the
    absolute floor ``min_power`` (-100 dB) does its job instead.
    """
    return keras.layers.MelSpectrogram(
        fft_length=FFT_LENGTH,
        sequence_stride=HOP,
        sampling_rate=sample_rate,
        num_mel_bins=n_mels,
        min_freq=20.0,
        max_freq=sample_rate / 2,
        power_to_db=True,
        top_db=1000.0,
        min_power=1e-10,
        name=name,
    )


def n_frames(samples: int) -> int:
    """The number of frames ``log_mel_layer`` makes of ``samples`` samples (centred frames)."""
    return 1 + samples // HOP


@keras.saving.register_keras_serializable(package="helpers.audio")
class MFCC(keras.layers.Layer):
    """MFCCs from a log-mel spectrogram: (batch, n_mels, frames) in dB -> (batch, frames, n_mfcc).

    ``tf.signal.mfccs_from_log_mel_spectrograms`` (a DCT over the mel axis); the dB input is
    the natural-log spectrogram times a constant, so the coefficients are scaled alike.
    """

    def __init__(self, n_mfcc: int = N_MFCC, **kwargs):
        super().__init__(**kwargs)
        if not 1 <= int(n_mfcc):
            raise ValueError(f"n_mfcc must be at least 1, got {n_mfcc}.")
        self.n_mfcc = int(n_mfcc)

    def call(self, log_mel):
        frames_first = tf.transpose(log_mel, [0, 2, 1])
        return tf.signal.mfccs_from_log_mel_spectrograms(frames_first)[..., : self.n_mfcc]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2], self.n_mfcc)

    def get_config(self):
        return {**super().get_config(), "n_mfcc": self.n_mfcc}


@keras.saving.register_keras_serializable(package="helpers.audio")
class FrameMask(keras.layers.Layer):
    """Which frames of a zero-padded recording hold sound: (batch, samples) -> (batch, frames) bool.

    A frame is masked when every sample its (centred) window touches is exactly zero, which
    is what padding is; pass the result as ``mask=`` to a recurrent layer.
    """

    def call(self, waves):
        padded = tf.pad(tf.abs(waves), [[0, 0], [FFT_LENGTH // 2, FFT_LENGTH // 2]])
        frames = tf.signal.frame(padded, FFT_LENGTH, HOP, pad_end=False)
        frames = frames[:, : 1 + tf.shape(waves)[1] // HOP]
        return tf.reduce_max(frames, axis=-1) > 0

    def compute_output_shape(self, input_shape):
        return (input_shape[0], None if input_shape[1] is None else n_frames(input_shape[1]))


def mfcc_frames(waves: Sequence[np.ndarray], length: int, batch_size: int = 256) -> list[np.ndarray]:
    """Each recording's MFCC frames (frames, n_mfcc), without the frames of padding.

    Computed with the same layers the recurrent model uses (:func:`log_mel_layer` then
    :class:`MFCC`) on recordings padded or cut to ``length`` samples.
    """
    mel, mfcc = log_mel_layer(), MFCC()
    batch = pad_or_crop(waves, length)
    out = []
    for start in range(0, len(batch), batch_size):
        coefficients = keras.ops.convert_to_numpy(mfcc(mel(batch[start : start + batch_size])))
        for row, wave in zip(coefficients, waves[start : start + batch_size], strict=True):
            out.append(row[: n_frames(min(len(wave), length))])
    return out


def mfcc_statistics(frames: Sequence[np.ndarray]) -> np.ndarray:
    """Mean and standard deviation of every coefficient over time: (n, 2 * n_mfcc).

    Raises:
        ValueError: no recordings, or one with no frames.
    """
    if len(frames) == 0:
        raise ValueError("frames is empty: pass one (frames, n_mfcc) array per recording.")
    for position, item in enumerate(frames):
        if np.asarray(item).ndim != 2 or len(item) == 0:
            raise ValueError(
                f"frames[{position}] has shape {np.shape(item)}; expected (frames >= 1, n_mfcc)."
            )
    return np.stack([np.concatenate([f.mean(axis=0), f.std(axis=0)]) for f in frames])


def _librosa():
    """Import librosa, without the tqdm "IProgress not found" warning a Jupyter kernel without
    ipywidgets prints on its first import (it names the local installation's path)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import librosa
    return librosa


def dtw_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Dynamic-time-warping cost between two (frames, features) sequences, per step of the path.

    ``librosa.sequence.dtw`` on the Euclidean frame-to-frame cost; dividing by the summed
    lengths keeps long and short recordings comparable.
    """
    from scipy.spatial.distance import cdist

    librosa = _librosa()

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or not len(a) or not len(b):
        raise ValueError(
            "dtw_distance needs two (frames, features) arrays with the same features, "
            f"got {a.shape} and {b.shape}."
        )
    cost = librosa.sequence.dtw(C=cdist(a, b), backtrack=False)
    return float(cost[-1, -1] / (len(a) + len(b)))


def dtw_nearest_neighbour(
    templates: Sequence[np.ndarray], template_labels: Sequence[int], queries: Sequence[np.ndarray]
) -> np.ndarray:
    """The label of each query's nearest template under :func:`dtw_distance` (1-NN template matching).

    Raises:
        ValueError: no templates, or as many labels as templates not given.
    """
    if len(templates) == 0 or len(templates) != len(template_labels):
        raise ValueError(
            f"dtw_nearest_neighbour needs templates with one label each; got {len(templates)} templates "
            f"and {len(template_labels)} labels."
        )
    labels = np.asarray(template_labels)
    predictions = np.empty(len(queries), labels.dtype)
    for row, query in enumerate(queries):
        predictions[row] = labels[np.argmin([dtw_distance(query, t) for t in templates])]
    return predictions


def pick_templates(
    table: pd.DataFrame, positions: np.ndarray, per_speaker_digit: int, seed: int = 0
) -> np.ndarray:
    """``per_speaker_digit`` random rows of each (speaker, digit) among ``positions``: DTW's templates.

    Raises:
        ValueError: ``per_speaker_digit`` below 1, or above what some (speaker, digit) has.
    """
    if per_speaker_digit < 1:
        raise ValueError(f"per_speaker_digit must be at least 1, got {per_speaker_digit}.")
    subset = table.iloc[positions].assign(position=positions)
    groups = subset.groupby(["speaker", "digit"])
    if groups.size().min() < per_speaker_digit:
        raise ValueError(
            f"per_speaker_digit={per_speaker_digit}, but some speaker and digit has only "
            f"{groups.size().min()} recordings among positions: ask for fewer."
        )
    picked = groups.sample(n=per_speaker_digit, replace=False, random_state=seed)
    return np.sort(picked["position"].to_numpy())


# --- noise, augmentation, silence ----------------------------------------------------------


def add_noise(wave: np.ndarray, snr_db: float | None, rng: np.random.Generator) -> np.ndarray:
    """``wave`` plus white Gaussian noise at ``snr_db`` dB signal-to-noise ratio (``None``: unchanged).

    The signal power is the mean square of the recording itself; zero-padding outside a
    recording is the caller's business (add noise before padding).

    Raises:
        ValueError: an empty or silent recording (no signal power to measure against).
    """
    wave = np.asarray(wave, np.float32)
    if snr_db is None:
        return wave.copy()
    power = float(np.mean(np.square(wave, dtype=np.float64))) if wave.size else 0.0
    if power == 0.0:
        raise ValueError("add_noise got an empty or silent recording: no signal power to set an SNR against.")
    noise_power = power / 10 ** (snr_db / 10)
    return (wave + rng.normal(0.0, np.sqrt(noise_power), wave.shape)).astype(np.float32)


def noisy_batch(waves: Sequence[np.ndarray], length: int, snr_db: float | None, seed: int = 0) -> np.ndarray:
    """Each recording with white noise at ``snr_db`` (over its own samples), padded or cut to ``length``."""
    rng = np.random.default_rng(seed)
    return pad_or_crop([add_noise(w, snr_db, rng) for w in waves], length)


class AugmentedClips(keras.utils.PyDataset):
    """Training batches with fresh noise and a fresh time shift every epoch, for ``model.fit``.

    Each recording gets white noise at an SNR drawn uniformly from ``snr_db`` (with
    probability ``noise_p``) and is placed at a random start within the ``length``-sample
    window (the rest is zeros), so the model meets voices in noise and words that do not
    start at sample 0.
    """

    def __init__(
        self,
        waves: Sequence[np.ndarray],
        labels: np.ndarray,
        length: int,
        batch_size: int = 64,
        snr_db: tuple[float, float] = (0.0, 20.0),
        noise_p: float = 0.8,
        seed: int = 0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if len(waves) != len(labels) or len(waves) == 0:
            raise ValueError(
                f"AugmentedClips needs one label per recording, got {len(waves)} recordings "
                f"and {len(labels)} labels."
            )
        if snr_db[0] > snr_db[1]:
            raise ValueError(f"snr_db must be (low, high), got {snr_db}.")
        self.waves, self.labels = list(waves), np.asarray(labels)
        self.length, self.batch_size, self.snr_db, self.noise_p = length, batch_size, snr_db, noise_p
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(self.waves))

    def __len__(self) -> int:
        return -(-len(self.waves) // self.batch_size)

    def __getitem__(self, batch: int):
        rows = self.order[batch * self.batch_size : (batch + 1) * self.batch_size]
        out = np.zeros((len(rows), self.length), np.float32)
        for position, row in enumerate(rows):
            wave = self.waves[row][: self.length]
            if self.rng.random() < self.noise_p:
                wave = add_noise(wave, self.rng.uniform(*self.snr_db), self.rng)
            start = self.rng.integers(0, self.length - wave.size + 1)
            out[position, start : start + wave.size] = wave
        return out, self.labels[rows]

    def on_epoch_end(self) -> None:
        self.order = self.rng.permutation(len(self.waves))


def join_with_silence(
    waves: Sequence[np.ndarray], gap_s: float = 0.3, sample_rate: int = SAMPLE_RATE
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """One recording of ``waves`` in a row with ``gap_s`` seconds of silence between; and where each lies.

    Raises:
        ValueError: no recordings, or a negative gap.
    """
    if len(waves) == 0:
        raise ValueError("join_with_silence needs at least one recording.")
    if gap_s < 0:
        raise ValueError(f"gap_s must be >= 0 seconds, got {gap_s}.")
    gap = np.zeros(int(round(gap_s * sample_rate)), np.float32)
    pieces, spans, start = [gap], [], gap.size
    for wave in waves:
        pieces += [np.asarray(wave, np.float32), gap]
        spans.append((start, start + len(wave)))
        start += len(wave) + gap.size
    return np.concatenate(pieces), spans


def split_on_silence(
    wave: np.ndarray, top_db: float = 30.0, min_gap_s: float = 0.1, sample_rate: int = SAMPLE_RATE
) -> list[tuple[int, int]]:
    """The (start, end) sample spans of the sounds in ``wave``, found with ``librosa.effects.split``.

    Spans closer than ``min_gap_s`` are merged (a word's own short pauses, as in "six",
    must not cut it in two).

    Raises:
        ValueError: an empty recording.
    """
    librosa = _librosa()
    wave = np.asarray(wave, np.float32)
    if wave.size == 0:
        raise ValueError("split_on_silence got an empty recording.")
    intervals = librosa.effects.split(wave, top_db=top_db, frame_length=FFT_LENGTH, hop_length=HOP // 2)
    merged: list[list[int]] = []
    for start, end in intervals:
        if merged and start - merged[-1][1] < min_gap_s * sample_rate:
            merged[-1][1] = int(end)
        else:
            merged.append([int(start), int(end)])
    return [(s, e) for s, e in merged]


def seconds_per_clip(model: keras.Model, batch: np.ndarray, repeats: int = 3) -> float:
    """Inference time per clip in seconds: the best of ``repeats`` timed ``predict`` calls over ``batch``."""
    model.predict(batch[:2], verbose=0)  # build and trace outside the timing
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(batch, verbose=0, batch_size=256)
        best = min(best, time.perf_counter() - start)
    return best / len(batch)
