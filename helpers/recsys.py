"""Recommender systems on MovieLens 100K: parsing, splits, baselines, ranking metrics, Keras models.

- :func:`load_movielens` reads the official ``ml-100k/`` folder (the real one or the
  fast-profile fixture, same layout and encodings); every parser error names the file
  and the line. :meth:`MovieLens.fold` reads an official fold (``u1``-``u5``, ``ua``, ``ub``).
- Splits that respect time: :func:`leave_latest_out` (each user's latest rating held out)
  and :func:`chronological_split` (a cut date for everyone).
- Floors: :func:`fit_biases` (global mean + regularised user and item biases, alternating
  closed-form least squares) and :func:`popularity_scores`.
- Ranking against the full catalogue: :func:`top_k`, :func:`rank_of_held_out`,
  :func:`hit_rate_and_ndcg`; beyond accuracy: :func:`catalogue_coverage`,
  :func:`popularity_bias`.
- Keras models: :func:`build_mf` (matrix factorisation with biases and L2),
  :func:`build_neumf` (He et al. 2017), :func:`build_hybrid` (IDs plus genres and
  demographics, for cold start) and :class:`TwoTower` (retrieval with in-batch negatives,
  :func:`in_batch_softmax_loss`).

Ids are MovieLens' own 1-based ids, used directly as embedding rows; row 0 is never
trained and stands for "unknown" (a user or movie that appears after the training data):
:func:`known_or_zero` maps such ids to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from scipy import sparse

from helpers.data.registry import MOVIELENS_RATING_COLUMNS as RATING_COLUMNS

USER_COLUMNS = ("user_id", "age", "gender", "occupation", "zip_code")
ITEM_HEAD = ("item_id", "title", "release_date", "video_release_date", "imdb_url")
FOLDS = ("u1", "u2", "u3", "u4", "u5", "ua", "ub")
ENCODING = "latin-1"  # u.item and u.user are latin-1 (accented titles)


class MovieLensFormatError(ValueError):
    """A MovieLens file does not have the official format; the message names file and line."""


# ---------------------------------------------------------------- parsing


def _lines(path: Path, sep: str, n_columns: int, what: str) -> list[list[str]]:
    """The file's non-blank lines split on ``sep``, each checked for ``n_columns`` fields."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: expected the MovieLens file {path.name} ({what}).")
    rows = []
    for number, line in enumerate(path.read_text(encoding=ENCODING).splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(sep)
        if len(fields) != n_columns:
            raise MovieLensFormatError(
                f"{path.name} line {number}: {len(fields)} columns, expected {n_columns} ({what}) "
                f"separated by {sep!r}; the line reads {line[:80]!r}."
            )
        rows.append(fields)
    if not rows:
        raise MovieLensFormatError(f"{path.name} is empty: expected lines of {what}. Download it again.")
    return rows


def _integers(path: Path, column: str, values: list[str]) -> np.ndarray:
    """``values`` as int64; the first that is not an integer is named with its line."""
    numbers = pd.to_numeric(pd.Series(values), errors="coerce")
    bad = numbers.isna() | (numbers != numbers.round())
    if bad.any():
        index = int(np.flatnonzero(bad.to_numpy())[0])
        raise MovieLensFormatError(
            f"{Path(path).name} line {index + 1}: {column} {values[index]!r} is not an integer."
        )
    return numbers.to_numpy(dtype=np.int64)


def read_ratings(path: str | Path) -> pd.DataFrame:
    """Read ``u.data`` or a fold file: ``user<TAB>item<TAB>rating<TAB>timestamp``, ratings 1-5.

    Raises:
        MovieLensFormatError: an empty file, a line without 4 tab-separated columns, a
            non-integer field or a rating outside 1-5 (naming the file and line).
    """
    rows = _lines(path, "\t", 4, "user id, item id, rating, timestamp")
    columns = list(zip(*rows, strict=True))
    frame = pd.DataFrame(
        {c: _integers(path, c, list(v)) for c, v in zip(RATING_COLUMNS, columns, strict=True)}
    )
    bad = ~frame["rating"].between(1, 5)
    if bad.any():
        index = int(np.flatnonzero(bad.to_numpy())[0])
        raise MovieLensFormatError(
            f"{Path(path).name} line {index + 1}: rating {frame['rating'].iloc[index]} is outside 1-5."
        )
    return frame


def check_file(path: str | Path, columns: tuple[str, ...]) -> None:
    """Parse one MovieLens file with ``columns`` fields a line (tab-separated ratings, else ``|``).

    The format check of every download (``helpers.data.checks``) runs this before the
    file enters the cache.

    Raises:
        MovieLensFormatError: what :func:`read_ratings` refuses, or a wrong column count.
    """
    if tuple(columns) == RATING_COLUMNS:
        read_ratings(path)
    else:
        _lines(Path(path), "|", len(columns), ", ".join(dict.fromkeys(columns)))


def read_genres(path: str | Path) -> list[str]:
    """Read ``u.genre`` (``name|index`` lines) into the genre names in index order."""
    rows = _lines(path, "|", 2, "genre name, index")
    index = _integers(path, "genre index", [r[1] for r in rows])
    if sorted(index.tolist()) != list(range(len(rows))):
        raise MovieLensFormatError(
            f"{Path(path).name}: genre indices {index.tolist()} are not 0..{len(rows) - 1}."
        )
    return [name for _, name in sorted(zip(index.tolist(), (r[0] for r in rows), strict=True))]


def read_items(path: str | Path, genres: list[str]) -> pd.DataFrame:
    """Read ``u.item``: id|title|release date|video release date|IMDb URL|one 0/1 flag per genre.

    Raises:
        MovieLensFormatError: empty, wrong column count or a non-integer id or flag.
    """
    rows = _lines(
        path, "|", len(ITEM_HEAD) + len(genres), f"{len(ITEM_HEAD)} fields and {len(genres)} genre flags"
    )
    frame = pd.DataFrame([r[: len(ITEM_HEAD)] for r in rows], columns=list(ITEM_HEAD))
    frame["item_id"] = _integers(path, "movie id", frame["item_id"].tolist())
    frame["release_date"] = pd.to_datetime(frame["release_date"], format="%d-%b-%Y", errors="coerce")
    flags = np.stack(
        [
            _integers(path, f"genre flag {g}", [r[len(ITEM_HEAD) + j] for r in rows])
            for j, g in enumerate(genres)
        ],
        axis=1,
    )
    for j, genre in enumerate(genres):
        frame[genre] = flags[:, j]
    return frame.drop(columns=["video_release_date"])


def read_users(path: str | Path) -> pd.DataFrame:
    """Read ``u.user``: id|age|gender|occupation|zip code.

    Raises:
        MovieLensFormatError: empty, wrong column count or a non-integer id or age.
    """
    rows = _lines(path, "|", len(USER_COLUMNS), "user id, age, gender, occupation, zip code")
    frame = pd.DataFrame(rows, columns=list(USER_COLUMNS))
    frame["user_id"] = _integers(path, "user id", frame["user_id"].tolist())
    frame["age"] = _integers(path, "age", frame["age"].tolist())
    return frame


def _check_contiguous(path: Path, ids: np.ndarray, what: str) -> None:
    if not np.array_equal(np.sort(ids), np.arange(1, len(ids) + 1)):
        raise MovieLensFormatError(f"{path.name}: {what} ids are not 1..{len(ids)} without gaps or repeats.")


@dataclass
class MovieLens:
    """The MovieLens 100K folder, parsed. Ids are 1-based; embedding row 0 means "unknown"."""

    folder: Path
    ratings: pd.DataFrame
    items: pd.DataFrame
    users: pd.DataFrame
    genres: list[str]
    occupations: list[str]

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def check_ids(self, frame: pd.DataFrame, name: str) -> pd.DataFrame:
        """Raise when ``frame`` (read from file ``name``) has a user or movie id unknown to u.user/u.item."""
        for column, n, source in (("user_id", self.n_users, "u.user"), ("item_id", self.n_items, "u.item")):
            bad = ~frame[column].between(1, n)
            if bad.any():
                index = int(np.flatnonzero(bad.to_numpy())[0])
                raise MovieLensFormatError(
                    f"{name} line {index + 1}: {column} {frame[column].iloc[index]} is not in {source} "
                    f"(ids 1-{n}): the fold and the catalogue come from different downloads."
                )
        return frame

    def fold(self, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The official fold ``name`` (``"u1"``-``"u5"``, ``"ua"``, ``"ub"``): ``(base, test)`` ratings.

        Raises:
            ValueError: an unknown fold name.
            MovieLensFormatError: a malformed fold file or ids unknown to u.item/u.user.
        """
        if name not in FOLDS:
            raise ValueError(
                f"fold={name!r} is not an official MovieLens 100K fold; use one of {', '.join(FOLDS)}."
            )
        return tuple(
            self.check_ids(read_ratings(self.folder / f"{name}.{part}"), f"{name}.{part}")
            for part in ("base", "test")
        )  # type: ignore[return-value]

    def genre_matrix(self) -> np.ndarray:
        """``(n_items + 1, n_genres)`` float32 0/1 flags; row 0 (unknown movie) is all zeros."""
        flags = np.zeros((self.n_items + 1, len(self.genres)), np.float32)
        flags[self.items["item_id"].to_numpy()] = self.items[self.genres].to_numpy(np.float32)
        return flags

    def user_features(self) -> dict[str, np.ndarray]:
        """Per user id (0: unknown): ``age`` (years / 100), ``gender`` (1 = F), ``occupation`` (from 1)."""
        users = self.users.sort_values("user_id")
        index = {o: i + 1 for i, o in enumerate(self.occupations)}
        occupation = users["occupation"].map(index)
        if occupation.isna().any():
            raise MovieLensFormatError(
                f"u.user: occupation {users['occupation'][occupation.isna()].iloc[0]!r} "
                "is not in u.occupation."
            )
        pad = np.zeros(1)
        return {
            "age": np.concatenate([pad, users["age"].to_numpy() / 100.0]).astype(np.float32),
            "gender": np.concatenate([pad, (users["gender"] == "F").to_numpy()]).astype(np.float32),
            "occupation": np.concatenate([pad, occupation.to_numpy()]).astype(np.int64),
        }


def load_movielens(folder: str | Path) -> MovieLens:
    """Parse the ``ml-100k`` folder: u.data, u.item, u.user, u.genre, u.occupation (folds on demand).

    Raises:
        FileNotFoundError: a file is missing (named).
        MovieLensFormatError: any file breaks the official format (file and line named),
            or u.data has ids unknown to u.item/u.user.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"folder={str(folder)!r} is not a folder: pass the ml-100k/ folder "
            "(helpers.data.fetch('movielens_100k').path)."
        )
    genres = read_genres(folder / "u.genre")
    occupations = [r[0] for r in _lines(folder / "u.occupation", "|", 1, "occupation name")]
    items = read_items(folder / "u.item", genres)
    users = read_users(folder / "u.user")
    _check_contiguous(folder / "u.item", items["item_id"].to_numpy(), "movie")
    _check_contiguous(folder / "u.user", users["user_id"].to_numpy(), "user")
    data = MovieLens(folder, pd.DataFrame(), items, users, genres, occupations)
    data.ratings = data.check_ids(read_ratings(folder / "u.data"), "u.data")
    return data


def rating_matrix(ratings: pd.DataFrame, n_users: int, n_items: int) -> sparse.csr_matrix:
    """The ratings as a ``(n_users + 1, n_items + 1)`` SciPy CSR matrix indexed by id (row/column 0 empty)."""
    _require_columns(ratings, ("user_id", "item_id", "rating"), "ratings")
    return sparse.csr_matrix(
        (
            ratings["rating"].to_numpy(np.float32),
            (ratings["user_id"].to_numpy(), ratings["item_id"].to_numpy()),
        ),
        shape=(n_users + 1, n_items + 1),
    )


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in getattr(frame, "columns", ())]
    if missing:
        raise ValueError(f"{name} lacks column(s) {', '.join(missing)}: pass a frame from read_ratings.")


# ---------------------------------------------------------------- splits


def leave_latest_out(ratings: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out each user's latest rating (by timestamp; ties go to the larger item id).

    Returns ``(rest, held_out)`` with one held-out row per user. Applied again to
    ``rest`` it carves a validation set the same way.

    Raises:
        ValueError: missing columns, or a user with a single rating (nothing left to learn from).
    """
    _require_columns(ratings, ("user_id", "item_id", "timestamp"), "ratings")
    counts = ratings["user_id"].value_counts()
    if (counts < 2).any():
        raise ValueError(
            f"leave_latest_out needs >= 2 ratings per user; user {counts.idxmin()} has "
            f"{counts.min()}. Drop such users first."
        )
    ordered = ratings.sort_values(["user_id", "timestamp", "item_id"], kind="stable")
    last = ~ordered["user_id"].duplicated(keep="last")
    return ordered[~last].reset_index(drop=True), ordered[last].reset_index(drop=True)


def chronological_split(
    ratings: pd.DataFrame, test_fraction: float = 0.2
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Train on the ratings before a cut time, test on the rest: ``(before, after, cut_timestamp)``.

    The cut is the ``1 - test_fraction`` quantile of the timestamps, so about
    ``test_fraction`` of the ratings fall after it; users and movies first seen after
    the cut are cold-start cases.

    Raises:
        ValueError: ``test_fraction`` not in (0, 1) or missing columns.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction={test_fraction} must lie strictly between 0 and 1, e.g. 0.2.")
    _require_columns(ratings, ("timestamp",), "ratings")
    cut = int(np.quantile(ratings["timestamp"].to_numpy(), 1 - test_fraction))
    after = ratings["timestamp"] >= cut
    return ratings[~after].reset_index(drop=True), ratings[after].reset_index(drop=True), cut


def random_holdout(
    ratings: pd.DataFrame, fraction: float = 0.1, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(rest, held_out)``: a random ``fraction`` of the rows held out (validation from a fold's base).

    Raises:
        ValueError: ``fraction`` not in (0, 1), or a frame too small to hold anything out.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction={fraction} must lie strictly between 0 and 1, e.g. 0.1.")
    n_held = int(round(fraction * len(ratings)))
    if n_held < 1 or n_held >= len(ratings):
        raise ValueError(f"fraction={fraction} of {len(ratings)} rows leaves nothing to hold out or to keep.")
    order = np.random.default_rng(seed).permutation(len(ratings))
    return ratings.iloc[order[n_held:]].reset_index(drop=True), ratings.iloc[order[:n_held]].reset_index(
        drop=True
    )


def known_or_zero(ids: np.ndarray, known: np.ndarray) -> np.ndarray:
    """``ids`` with every id not in ``known`` replaced by 0 (the never-trained "unknown" row)."""
    ids = np.asarray(ids)
    return np.where(np.isin(ids, np.asarray(known)), ids, 0)


# ---------------------------------------------------------------- floors


@dataclass(frozen=True)
class Biases:
    """Global mean plus user and item biases, indexed by id (row 0: unknown, bias 0)."""

    mean: float
    user: np.ndarray
    item: np.ndarray

    def predict(self, users: np.ndarray, items: np.ndarray, clip: bool = True) -> np.ndarray:
        """Predicted ratings ``mean + b_u + b_i`` (clipped to 1-5 unless ``clip=False``)."""
        users, items = np.asarray(users), np.asarray(items)
        if users.shape != items.shape:
            raise ValueError(f"users {users.shape} and items {items.shape} must have the same shape.")
        ids_ok = (
            (0 <= users).all()
            and (users < len(self.user)).all()
            and (0 <= items).all()
            and (items < len(self.item)).all()
        )
        if not ids_ok:
            raise ValueError(
                f"ids out of range: users must lie in 0-{len(self.user) - 1}, items in "
                f"0-{len(self.item) - 1}; map unseen ids to 0 with known_or_zero."
            )
        prediction = self.mean + self.user[users] + self.item[items]
        return np.clip(prediction, 1, 5) if clip else prediction


def fit_biases(
    ratings: pd.DataFrame,
    n_users: int,
    n_items: int,
    reg_user: float = 15.0,
    reg_item: float = 10.0,
    n_iter: int = 10,
) -> Biases:
    """Fit ``r ~ mean + b_u + b_i`` by alternating ridge least squares (Koren 2010, section 2.1).

    Each step is closed form: ``b_i = sum(r - mean - b_u) / (reg_item + n_i)``, then the
    same for users; ``reg_*`` shrink biases of rarely rated movies/users towards 0.
    ``reg_user=reg_item=0, n_iter=1`` with user biases zero gives plain item means.

    Raises:
        ValueError: negative regularisation, ``n_iter < 1`` or missing columns.
    """
    if reg_user < 0 or reg_item < 0:
        raise ValueError(f"reg_user={reg_user} and reg_item={reg_item} must be >= 0 (try 10-25).")
    if n_iter < 1:
        raise ValueError(f"n_iter={n_iter} must be >= 1.")
    _require_columns(ratings, ("user_id", "item_id", "rating"), "ratings")
    users, items = ratings["user_id"].to_numpy(), ratings["item_id"].to_numpy()
    r = ratings["rating"].to_numpy(np.float64)
    mean = float(r.mean())
    b_user, b_item = np.zeros(n_users + 1), np.zeros(n_items + 1)
    n_u = np.bincount(users, minlength=n_users + 1)
    n_i = np.bincount(items, minlength=n_items + 1)
    for _ in range(n_iter):
        b_item = np.bincount(items, r - mean - b_user[users], n_items + 1) / (reg_item + n_i + 1e-12)
        b_user = np.bincount(users, r - mean - b_item[items], n_users + 1) / (reg_user + n_u + 1e-12)
    return Biases(mean, b_user, b_item)


def popularity_scores(ratings: pd.DataFrame, n_items: int) -> np.ndarray:
    """How many ratings each movie id has (index 0: unknown, 0): the most-popular ranking."""
    _require_columns(ratings, ("item_id",), "ratings")
    return np.bincount(ratings["item_id"].to_numpy(), minlength=n_items + 1).astype(np.float64)


def rmse_mae(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float]:
    """Root mean squared error and mean absolute error (sklearn.metrics)."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error

    return float(np.sqrt(mean_squared_error(y_true, y_pred))), float(mean_absolute_error(y_true, y_pred))


# ---------------------------------------------------------------- ranking metrics


def _seen_mask(seen: sparse.spmatrix | np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    mask = seen.toarray() if sparse.issparse(seen) else np.asarray(seen)
    if mask.shape != shape:
        raise ValueError(f"seen has shape {mask.shape}, scores {shape}: both must be (users, items).")
    return mask.astype(bool)


def _check_scores(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"scores must be (users, items), got shape {scores.shape}.")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN: the model diverged or an id was out of range.")
    return scores


def rank_of_held_out(scores: np.ndarray, seen, held_out: np.ndarray) -> np.ndarray:
    """0-based rank of each row's held-out item among all items not in ``seen`` (the full catalogue).

    Ties are broken by item index (lower first), as a stable sort of ``-scores`` would;
    seen items never compete. Column 0 (the unknown id) is excluded too.

    Args:
        scores: ``(n, n_columns)`` scores, higher = recommend first.
        seen: ``(n, n_columns)`` bool array or sparse matrix, True where the user
            interacted in training (excluded from the ranking).
        held_out: ``(n,)`` the column of each row's held-out item.

    Raises:
        ValueError: shape mismatches, NaN scores, or a held-out item marked as seen.
    """
    scores = _check_scores(scores)
    mask = _seen_mask(seen, scores.shape)
    held_out = np.asarray(held_out)
    if held_out.shape != (scores.shape[0],):
        raise ValueError(
            f"held_out must have one item per row ({scores.shape[0]}), got shape {held_out.shape}."
        )
    rows = np.arange(len(held_out))
    if mask[rows, held_out].any():
        raise ValueError("a held-out item is also in seen: the test interaction leaked into training.")
    mask[:, 0] = True
    target = scores[rows, held_out][:, None]
    columns = np.arange(scores.shape[1])[None, :]
    ahead = (scores > target) | ((scores == target) & (columns < held_out[:, None]))
    return (ahead & ~mask).sum(axis=1)


def hit_rate_and_ndcg(scores: np.ndarray, seen, held_out: np.ndarray, k: int = 10) -> tuple[float, float]:
    """HR@k and NDCG@k with one held-out item per user, ranked against the full catalogue.

    HR@k is the share of users whose held-out item is in their top ``k``; NDCG@k credits
    a hit at 0-based rank ``r`` with ``1 / log2(r + 2)`` (1 at the top). No sampled
    negatives: Krichene & Rendle (2020) show they distort model comparisons.

    Raises:
        ValueError: ``k < 1`` and everything :func:`rank_of_held_out` refuses.
    """
    if k < 1:
        raise ValueError(f"k={k} must be >= 1 (10 is the usual cut-off).")
    rank = rank_of_held_out(scores, seen, held_out)
    hit = rank < k
    return float(hit.mean()), float(np.where(hit, 1.0 / np.log2(rank + 2), 0.0).mean())


def top_k(scores: np.ndarray, seen, k: int = 10) -> np.ndarray:
    """Each row's ``k`` best unseen columns, best first (ties: lower index first); column 0 excluded."""
    scores = _check_scores(scores)
    if not 1 <= k < scores.shape[1]:
        raise ValueError(f"k={k} must lie in 1..{scores.shape[1] - 1} (the number of items).")
    masked = np.where(_seen_mask(seen, scores.shape), -np.inf, scores)
    masked[:, 0] = -np.inf
    return np.argsort(-masked, axis=1, kind="stable")[:, :k]


def catalogue_coverage(recommended: np.ndarray, n_items: int) -> float:
    """The share of the ``n_items`` movies that appear in at least one recommendation list."""
    recommended = np.asarray(recommended)
    if n_items < 1 or recommended.size == 0:
        raise ValueError(
            f"need n_items >= 1 and at least one recommendation, got {n_items} and {recommended.size}."
        )
    return float(np.unique(recommended).size / n_items)


def popularity_bias(recommended: np.ndarray, popularity: np.ndarray, top_share: float = 0.1) -> float:
    """The share of recommendations that fall among the most popular ``top_share`` of movies.

    ``popularity`` is indexed by id with index 0 the unknown id (ignored), as
    :func:`popularity_scores` returns it. Ties at the threshold go to the lower id.

    Raises:
        ValueError: ``top_share`` not in (0, 1] or empty recommendations.
    """
    if not 0 < top_share <= 1:
        raise ValueError(f"top_share={top_share} must lie in (0, 1], e.g. 0.1 for the top 10%.")
    recommended = np.asarray(recommended)
    if recommended.size == 0:
        raise ValueError("recommended is empty: pass each user's top-k list.")
    popularity = np.asarray(popularity, dtype=np.float64)
    n_top = max(1, int(round(top_share * (len(popularity) - 1))))
    order = np.argsort(-popularity[1:], kind="stable") + 1
    return float(np.isin(recommended, order[:n_top]).mean())


# ---------------------------------------------------------------- Keras models


def _ids(name: str) -> keras.KerasTensor:
    return keras.Input(shape=(), dtype="int32", name=name)


def _embedding(n: int, dim: int, l2: float, name: str, init: str = "random_normal") -> keras.layers.Embedding:
    """An ``(n + 1, dim)`` embedding (row 0: unknown id) with an L2 penalty ``l2 * sum(table ** 2)``."""
    initializer = keras.initializers.RandomNormal(stddev=0.01) if init == "random_normal" else init
    return keras.layers.Embedding(
        n + 1,
        dim,
        embeddings_initializer=initializer,
        embeddings_regularizer=keras.regularizers.L2(l2) if l2 else None,
        name=name,
    )


def _check_sizes(**sizes: float) -> None:
    for name, value in sizes.items():
        low = 0 if name.startswith("l2") else 1
        if value < low:
            raise ValueError(f"{name}={value} must be >= {low}.")


def build_mf(n_users: int, n_items: int, dim: int = 32, l2: float = 1e-5, mean: float = 3.5) -> keras.Model:
    """Matrix factorisation with biases (Koren et al. 2009): ``mean + b_u + b_i + p_u . q_i``.

    Inputs ``{"user": ids, "item": ids}`` (int, 1-based; 0 = unknown); output the
    predicted rating, shape ``(batch,)``. L2 on the embeddings and the biases.
    """
    _check_sizes(n_users=n_users, n_items=n_items, dim=dim, l2=l2)
    user, item = _ids("user"), _ids("item")
    p = _embedding(n_users, dim, l2, "user_vector")(user)
    q = _embedding(n_items, dim, l2, "item_vector")(item)
    b_u = keras.layers.Flatten()(_embedding(n_users, 1, l2, "user_bias", "zeros")(user))
    b_i = keras.layers.Flatten()(_embedding(n_items, 1, l2, "item_bias", "zeros")(item))
    dot = keras.layers.Dot(axes=1)([p, q])
    rating = keras.layers.Add()([dot, b_u, b_i])
    rating = keras.layers.Rescaling(1.0, offset=mean, name="plus_mean")(rating)
    return keras.Model({"user": user, "item": item}, keras.layers.Flatten(name="rating")(rating), name="mf")


def build_neumf(
    n_users: int,
    n_items: int,
    dim: int = 16,
    hidden: tuple[int, ...] = (64, 32),
    l2: float = 1e-5,
    mean: float = 3.5,
    dropout: float = 0.2,
) -> keras.Model:
    """NeuMF (He et al. 2017) for ratings: a GMF branch (element-wise product) beside an MLP.

    Each branch has its own user and item embeddings; their outputs are concatenated
    and a linear unit (plus the global mean) gives the rating.
    """
    _check_sizes(n_users=n_users, n_items=n_items, dim=dim, l2=l2)
    if not hidden or min(hidden) < 1:
        raise ValueError(f"hidden={hidden} needs at least one layer width >= 1, e.g. (64, 32).")
    user, item = _ids("user"), _ids("item")
    gmf = keras.layers.Multiply(name="gmf")(
        [_embedding(n_users, dim, l2, "gmf_user")(user), _embedding(n_items, dim, l2, "gmf_item")(item)]
    )
    x = keras.layers.Concatenate()(
        [_embedding(n_users, dim, l2, "mlp_user")(user), _embedding(n_items, dim, l2, "mlp_item")(item)]
    )
    for width in hidden:
        x = keras.layers.Dense(width, activation="relu", kernel_regularizer=keras.regularizers.L2(l2))(x)
        x = keras.layers.Dropout(dropout)(x)
    rating = keras.layers.Dense(1)(keras.layers.Concatenate()([gmf, x]))
    rating = keras.layers.Rescaling(1.0, offset=mean)(rating)
    return keras.Model(
        {"user": user, "item": item}, keras.layers.Flatten(name="rating")(rating), name="neumf"
    )


@keras.saving.register_keras_serializable(package="helpers")
class IdDropout(keras.layers.Layer):
    """In training, replace each id by 0 (the "unknown" row) with probability ``rate``; identity otherwise.

    Dropout for ids (DropoutNet, Volkovs et al. 2017): the model sees simulated cold
    starts during training, so the "unknown" row and the side features learn to stand in
    for a missing id.
    """

    def __init__(self, rate: float = 0.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"rate={rate} must lie in [0, 1), e.g. 0.3.")
        self.rate, self.seed = rate, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, ids, training=False):
        if not training or self.rate == 0:
            return ids
        keep = keras.random.uniform(keras.ops.shape(ids), seed=self.seed_generator) >= self.rate
        return keras.ops.where(keep, ids, keras.ops.zeros_like(ids))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


def build_hybrid(
    n_users: int,
    n_items: int,
    n_genres: int,
    n_occupations: int,
    dim: int = 32,
    l2: float = 1e-5,
    mean: float = 3.5,
    id_dropout: float = 0.0,
) -> keras.Model:
    """MF whose user and item vectors and biases add side information, so cold starts get a guess.

    User side: id embedding + a dense projection of (age, gender, occupation embedding);
    item side: id embedding + a dense projection of the genre flags. Inputs: ``user``,
    ``item`` (ids), ``genres`` (``n_genres`` floats), ``age``, ``gender`` (floats) and
    ``occupation`` (int, 1-based, 0 unknown).

    Trained on known users only, the id embeddings explain everything and the feature
    projections learn little; an unknown id (0) then gets an untrained row. With
    ``id_dropout > 0`` (DropoutNet, Volkovs et al. 2017) each training example's user
    and movie ids are replaced by 0 with that probability (:class:`IdDropout`), so the
    features must predict on their own and row 0 learns the average newcomer.
    """
    _check_sizes(
        n_users=n_users, n_items=n_items, n_genres=n_genres, n_occupations=n_occupations, dim=dim, l2=l2
    )
    if not 0 <= id_dropout < 1:
        raise ValueError(f"id_dropout={id_dropout} must lie in [0, 1), e.g. 0.3.")
    user_id, item_id = _ids("user"), _ids("item")
    user = IdDropout(id_dropout, name="user_id_dropout")(user_id)
    item = IdDropout(id_dropout, name="item_id_dropout")(item_id)
    genres = keras.Input(shape=(n_genres,), name="genres")
    age, gender = keras.Input(shape=(), name="age"), keras.Input(shape=(), name="gender")
    occupation = _ids("occupation")
    demo = keras.layers.Concatenate()(
        [
            keras.layers.Reshape((1,))(age),
            keras.layers.Reshape((1,))(gender),
            _embedding(n_occupations, 4, 0.0, "occupation_vector")(occupation),
        ]
    )
    reg = keras.regularizers.L2(l2)
    user_side = keras.layers.Dense(dim + 1, kernel_regularizer=reg, name="from_demographics")(demo)
    item_side = keras.layers.Dense(dim + 1, kernel_regularizer=reg, name="from_genres")(genres)
    user_all = keras.layers.Add()(
        [
            keras.layers.Concatenate()(
                [
                    _embedding(n_users, dim, l2, "user_vector")(user),
                    _embedding(n_users, 1, l2, "user_bias", "zeros")(user),
                ]
            ),
            user_side,
        ]
    )
    item_all = keras.layers.Add()(
        [
            keras.layers.Concatenate()(
                [
                    _embedding(n_items, dim, l2, "item_vector")(item),
                    _embedding(n_items, 1, l2, "item_bias", "zeros")(item),
                ]
            ),
            item_side,
        ]
    )
    p, b_u = user_all[:, :dim], user_all[:, dim:]
    q, b_i = item_all[:, :dim], item_all[:, dim:]
    rating = keras.layers.Add()([keras.layers.Dot(axes=1)([p, q]), b_u, b_i])
    rating = keras.layers.Rescaling(1.0, offset=mean)(rating)
    inputs = {
        "user": user_id,
        "item": item_id,
        "genres": genres,
        "age": age,
        "gender": gender,
        "occupation": occupation,
    }
    return keras.Model(inputs, keras.layers.Flatten(name="rating")(rating), name="hybrid")


def hybrid_inputs(
    data: MovieLens,
    users: np.ndarray,
    items: np.ndarray,
    known_users: np.ndarray | None = None,
    known_items: np.ndarray | None = None,
) -> dict:
    """The hybrid's input dict for ``(users, items)`` pairs; ids outside ``known_*`` become 0.

    Features always come from the real ids (a new user still has demographics, a new
    movie its genres); only the id embeddings fall back to the unknown row.
    """
    users, items = np.asarray(users), np.asarray(items)
    features = data.user_features()
    return {
        "user": known_or_zero(users, known_users) if known_users is not None else users,
        "item": known_or_zero(items, known_items) if known_items is not None else items,
        "genres": data.genre_matrix()[items],
        "age": features["age"][users],
        "gender": features["gender"][users],
        "occupation": features["occupation"][users],
    }


def in_batch_softmax_loss(
    user_vectors: tf.Tensor, item_vectors: tf.Tensor, temperature: float = 0.1
) -> tf.Tensor:
    """Sampled softmax with in-batch negatives (Yi et al. 2019): row i's positive is item i.

    Every other item in the batch is a negative for user i; the loss is the
    cross-entropy of the softmax over ``user_vectors @ item_vectors.T / temperature``
    with the diagonal as the labels.
    """
    if temperature <= 0:
        raise ValueError(f"temperature={temperature} must be > 0, e.g. 0.1.")
    logits = keras.ops.matmul(user_vectors, keras.ops.transpose(item_vectors)) / temperature
    labels = keras.ops.arange(keras.ops.shape(logits)[0])
    return keras.ops.mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))


@keras.saving.register_keras_serializable(package="helpers")
class TwoTower(keras.Model):
    """Two-tower retrieval: a user tower and a movie tower whose dot product scores a pair.

    Trained with ``fit`` on ``{"user": ids, "item": ids}`` pairs (implicit feedback; no
    labels), :meth:`compute_loss` is :func:`in_batch_softmax_loss`. The item tower adds
    the genre flags to the id embedding; both outputs are L2-normalised, so the dot
    product is a cosine and ``temperature`` sets its sharpness.
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        genre_flags: np.ndarray,
        dim: int = 32,
        temperature: float = 0.1,
        l2: float = 0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _check_sizes(n_users=n_users, n_items=n_items, dim=dim, l2=l2)
        genre_flags = np.asarray(genre_flags, np.float32)
        if genre_flags.ndim != 2 or genre_flags.shape[0] != n_items + 1:
            raise ValueError(
                f"genre_flags must be (n_items + 1, n_genres) = ({n_items + 1}, ...), "
                f"got {genre_flags.shape}: use MovieLens.genre_matrix()."
            )
        if temperature <= 0:
            raise ValueError(f"temperature={temperature} must be > 0, e.g. 0.1.")
        self.n_users, self.n_items, self.dim, self.temperature, self.l2 = (
            n_users,
            n_items,
            dim,
            temperature,
            l2,
        )
        self.genre_flags = tf.constant(genre_flags)
        self.user_embedding = _embedding(n_users, dim, l2, "user_tower", "glorot_uniform")
        self.item_embedding = _embedding(n_items, dim, l2, "item_tower", "glorot_uniform")
        self.genre_projection = keras.layers.Dense(dim, use_bias=False, name="item_genres")

    def user_vectors(self, users) -> tf.Tensor:
        return keras.ops.normalize(self.user_embedding(users), axis=-1)

    def item_vectors(self, items) -> tf.Tensor:
        genres = keras.ops.take(self.genre_flags, items, axis=0)
        return keras.ops.normalize(self.item_embedding(items) + self.genre_projection(genres), axis=-1)

    def call(self, inputs):
        return keras.ops.sum(self.user_vectors(inputs["user"]) * self.item_vectors(inputs["item"]), axis=-1)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = in_batch_softmax_loss(
            self.user_vectors(x["user"]), self.item_vectors(x["item"]), self.temperature
        )
        return loss + keras.ops.sum(self.losses) if self.losses else loss

    def score_all(self, users: np.ndarray) -> np.ndarray:
        """``(len(users), n_items + 1)`` scores of every movie id for each user (column 0: unknown)."""
        all_items = self.item_vectors(np.arange(self.n_items + 1))
        return keras.ops.convert_to_numpy(
            keras.ops.matmul(self.user_vectors(np.asarray(users)), keras.ops.transpose(all_items))
        )

    def get_config(self):
        return {
            **super().get_config(),
            "n_users": self.n_users,
            "n_items": self.n_items,
            "genre_flags": keras.ops.convert_to_numpy(self.genre_flags).tolist(),
            "dim": self.dim,
            "temperature": self.temperature,
            "l2": self.l2,
        }


def id_inputs(ratings: pd.DataFrame) -> dict[str, np.ndarray]:
    """``{"user": ids, "item": ids}`` (int32) for the id-input models (MF, NeuMF, TwoTower)."""
    _require_columns(ratings, ("user_id", "item_id"), "ratings")
    return {"user": ratings["user_id"].to_numpy(np.int32), "item": ratings["item_id"].to_numpy(np.int32)}


def fit_ratings(
    model: keras.Model,
    x_train: dict,
    y_train: np.ndarray,
    x_val: dict,
    y_val: np.ndarray,
    epochs: int = 30,
    learning_rate: float = 0.005,
    batch_size: int = 1024,
    patience: int = 2,
) -> keras.callbacks.History:
    """Compile with Adam and MSE, train with early stopping on the validation RMSE (best weights kept).

    Raises:
        ValueError: ``epochs`` or ``patience`` < 1, or targets outside 1-5.
    """
    if epochs < 1 or patience < 1:
        raise ValueError(f"epochs={epochs} and patience={patience} must be >= 1.")
    for name, y in (("y_train", y_train), ("y_val", y_val)):
        y = np.asarray(y)
        if y.size == 0 or y.min() < 1 or y.max() > 5:
            raise ValueError(
                f"{name} must hold ratings in 1-5; got {y.size} values in "
                f"[{y.min() if y.size else None}, {y.max() if y.size else None}]."
            )
    model.compile(
        keras.optimizers.Adam(learning_rate),
        loss="mse",
        metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
    )
    stop = keras.callbacks.EarlyStopping("val_rmse", patience=patience, restore_best_weights=True)
    return model.fit(
        x_train,
        np.asarray(y_train, np.float32),
        validation_data=(x_val, np.asarray(y_val, np.float32)),
        epochs=epochs,
        batch_size=batch_size,
        callbacks=[stop],
        verbose=0,
    )


def predict_ratings(model: keras.Model, x: dict) -> np.ndarray:
    """The model's predictions for ``x``, clipped to the 1-5 scale."""
    return np.clip(np.asarray(model.predict(x, batch_size=8192, verbose=0)).reshape(-1), 1, 5)


def fit_retrieval(
    model: TwoTower,
    pairs: dict,
    val_users: np.ndarray,
    val_seen,
    val_items: np.ndarray,
    epochs: int = 20,
    batch_size: int = 1024,
    patience: int = 3,
    k: int = 10,
) -> list[float]:
    """Train a compiled :class:`TwoTower` one epoch at a time, keep the epoch with the best validation NDCG@k.

    Validation is each user's held-out interaction (``val_items``), ranked against the
    full catalogue minus ``val_seen``. Training stops after ``patience`` epochs without
    improvement, and the best weights are restored. Returns the validation NDCG@k per epoch.

    Raises:
        ValueError: ``epochs`` or ``patience`` < 1, or an uncompiled model.
    """
    if epochs < 1 or patience < 1:
        raise ValueError(f"epochs={epochs} and patience={patience} must be >= 1.")
    if getattr(model, "optimizer", None) is None:
        raise ValueError("compile the model first, e.g. model.compile(keras.optimizers.Adam(0.005)).")
    history, best_weights = [], None
    for _ in range(epochs):
        model.fit(pairs, epochs=1, batch_size=batch_size, verbose=0)
        history.append(hit_rate_and_ndcg(model.score_all(val_users), val_seen, val_items, k)[1])
        if history[-1] >= max(history):
            best_weights = model.get_weights()
        elif len(history) - 1 - int(np.argmax(history)) >= patience:
            break
    model.set_weights(best_weights)
    return history


def item_rating_vectors(ratings: pd.DataFrame, n_users: int, n_items: int) -> np.ndarray:
    """Each movie's ratings by every user: a dense ``(n_items + 1, n_users + 1)`` float32 array, 0 = unrated.

    The transpose of :func:`rating_matrix`, densified: the input (and target) of
    :func:`build_autorec`. Row and column 0 stay empty.
    """
    return rating_matrix(ratings, n_users, n_items).T.toarray()


def observed_squared_error(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    """AutoRec's loss for each row: the summed squared error over the observed entries only.

    ``y_true`` holds ratings 1-5 and 0 where nothing was rated; unrated entries add
    nothing, so the model is never told that "not rated" means "rated 0".
    """
    observed = keras.ops.cast(y_true > 0, y_pred.dtype)
    return keras.ops.sum(observed * keras.ops.square(y_true - y_pred), axis=-1)


@keras.saving.register_keras_serializable(package="helpers")
class ObservedRMSE(keras.metrics.Metric):
    """RMSE over the entries where ``y_true > 0`` (the observed ratings of a rating matrix)."""

    def __init__(self, name: str = "rmse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = keras.ops.cast(y_true, "float32")
        observed = keras.ops.cast(y_true > 0, "float32")
        error = observed * keras.ops.square(y_true - keras.ops.cast(y_pred, "float32"))
        self.total.assign_add(keras.ops.sum(error))
        self.count.assign_add(keras.ops.sum(observed))

    def result(self):
        return keras.ops.sqrt(self.total / keras.ops.maximum(self.count, 1.0))


def build_autorec(n_users: int, hidden: int = 500, l2: float = 1e-2, mean: float = 3.5) -> keras.Model:
    """Item-based AutoRec (Sedhain et al. 2015): a movie's rating vector -> sigmoid layer -> reconstruction.

    Input and output are ``(n_users + 1,)`` vectors (one movie's ratings by every user,
    0 = unrated; see :func:`item_rating_vectors`). The predicted rating of user ``u`` for
    movie ``i`` is output ``u`` of movie ``i``'s vector. Train with
    :func:`observed_squared_error`, which scores the observed ratings only; ``l2`` is
    the L2 penalty on both weight matrices. The output bias starts at ``mean``.
    """
    _check_sizes(n_users=n_users, hidden=hidden, l2=l2)
    reg = keras.regularizers.L2(l2) if l2 else None
    ratings = keras.Input(shape=(n_users + 1,), name="ratings_of_movie")
    code = keras.layers.Dense(hidden, activation="sigmoid", kernel_regularizer=reg, name="encoder")(ratings)
    output = keras.layers.Dense(
        n_users + 1,
        kernel_regularizer=reg,
        bias_initializer=keras.initializers.Constant(mean),
        name="decoder",
    )(code)
    return keras.Model(ratings, output, name="autorec")


def fit_autorec(
    model: keras.Model,
    x_fit: np.ndarray,
    x_val: np.ndarray,
    epochs: int = 300,
    learning_rate: float = 1e-3,
    batch_size: int = 128,
    patience: int = 10,
) -> keras.callbacks.History:
    """Train AutoRec to reconstruct ``x_fit``; early stopping on the RMSE of the ratings in ``x_val``.

    Both are :func:`item_rating_vectors` matrices of the same shape: the model reads the
    training ratings ``x_fit`` and is scored, at every epoch, on the validation ratings
    ``x_val`` (which it never reads); the best epoch's weights are restored.

    Raises:
        ValueError: ``epochs`` or ``patience`` < 1, shapes that differ, or no rating in ``x_val``.
    """
    if epochs < 1 or patience < 1:
        raise ValueError(f"epochs={epochs} and patience={patience} must be >= 1.")
    x_fit, x_val = np.asarray(x_fit, np.float32), np.asarray(x_val, np.float32)
    if x_fit.shape != x_val.shape or x_fit.ndim != 2:
        raise ValueError(
            f"x_fit {x_fit.shape} and x_val {x_val.shape} must be (movies, users) matrices of one shape: "
            "build both with item_rating_vectors."
        )
    if not (x_val > 0).any():
        raise ValueError("x_val holds no rating: carve a validation set from the training ratings.")
    model.compile(keras.optimizers.Adam(learning_rate), loss=observed_squared_error, metrics=[ObservedRMSE()])
    stop = keras.callbacks.EarlyStopping("val_rmse", patience=patience, mode="min", restore_best_weights=True)
    return model.fit(
        x_fit,
        x_fit,
        validation_data=(x_fit, x_val),
        epochs=epochs,
        batch_size=batch_size,
        callbacks=[stop],
        verbose=0,
    )


def predict_autorec(
    model: keras.Model, x_input: np.ndarray, users: np.ndarray, items: np.ndarray
) -> np.ndarray:
    """AutoRec's ratings for ``(users, items)`` pairs from the known ratings ``x_input``, clipped to 1-5.

    ``x_input`` is the :func:`item_rating_vectors` matrix of every rating the model may
    read (a fold's whole training part); a movie nobody rated there still gets the
    decoder's per-user output for an empty vector, a learned user baseline.
    """
    users, items = np.asarray(users), np.asarray(items)
    reconstruction = np.asarray(model.predict(np.asarray(x_input, np.float32), batch_size=512, verbose=0))
    return np.clip(reconstruction[items, users], 1, 5)


def score_all_items(
    model: keras.Model, users: np.ndarray, n_items: int, batch_size: int = 65536
) -> np.ndarray:
    """``(len(users), n_items + 1)`` predicted ratings of every movie id by an id-input model (MF, NeuMF)."""
    users = np.asarray(users)
    grid_users = np.repeat(users, n_items + 1).astype(np.int32)
    grid_items = np.tile(np.arange(n_items + 1), len(users)).astype(np.int32)
    scores = model.predict({"user": grid_users, "item": grid_items}, batch_size=batch_size, verbose=0)
    return np.asarray(scores).reshape(len(users), n_items + 1)


def nearest_items(vectors: np.ndarray, item: int, k: int = 5) -> np.ndarray:
    """The ``k`` ids whose vectors are most cosine-similar to ``item``'s (itself and row 0 excluded)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    if not 1 <= item < len(vectors):
        raise ValueError(f"item={item} must be an id in 1..{len(vectors) - 1}.")
    if not 1 <= k < len(vectors) - 1:
        raise ValueError(f"k={k} must lie in 1..{len(vectors) - 2}.")
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    similarity = unit @ unit[item]
    similarity[[0, item]] = -np.inf
    return np.argsort(-similarity, kind="stable")[:k]
