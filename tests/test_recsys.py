"""helpers.recsys and the MovieLens 100K fixture: parsing and its errors, splits, floors, metrics, models."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from helpers import recsys
from helpers.data import get_entry, store
from helpers.data.fixtures.ratings import write_movielens_100k

ENTRY = get_entry("movielens_100k")


@pytest.fixture(scope="module")
def fixture_folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ml")
    write_movielens_100k(root, np.random.default_rng(0), ENTRY)
    return root / "ml-100k"


@pytest.fixture(scope="module")
def data(fixture_folder) -> recsys.MovieLens:
    return recsys.load_movielens(fixture_folder)


@pytest.fixture
def copy(fixture_folder, tmp_path) -> Path:
    target = tmp_path / "ml-100k"
    shutil.copytree(fixture_folder, target)
    return target


# ------------------------------------------------------------------ registry and fixture


def test_registry_lists_every_file_used_with_its_digest_origin_and_terms():
    names = {Path(f.path).name for f in ENTRY.files}
    assert {"u.data", "u.item", "u.user", "u.genre", "u.occupation", "ua.base", "ub.test"} <= names
    assert {f"u{k}.{p}" for k in range(1, 6) for p in ("base", "test")} <= names
    for remote in ENTRY.files:
        assert (
            remote.url == f"https://files.grouplens.org/datasets/movielens/ml-100k/{Path(remote.path).name}"
        )
        assert len(remote.sha256) == 1 and len(remote.sha256[0]) == 64
    u_data = next(f for f in ENTRY.files if f.path == "ml-100k/u.data")
    assert u_data.sha256 == ("06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490",)
    assert ENTRY.redistribution is False and "Harper" in ENTRY.citation and ENTRY.terms_url


def test_registry_digests_equal_the_mirror_files():
    mirror = store.mirror_dir()
    if mirror is None or not (mirror / "ml-100k" / "u.data").is_file():
        pytest.skip("needs COURSE_DATA_MIRROR pointing at a mirror that holds ml-100k/")
    for remote in ENTRY.files:
        assert store.file_digest(mirror / remote.path) in remote.sha256, remote.path


def test_fixture_has_the_real_layout_encodings_and_counts(fixture_folder, data):
    assert store._complete(fixture_folder.parent, ENTRY)
    first = (fixture_folder / "u.data").read_text().splitlines()[0].split("\t")
    assert len(first) == 4
    assert (fixture_folder / "u.item").read_bytes().decode("latin-1").count("Générique") == 1682
    assert (data.n_users, data.n_items, len(data.genres), len(data.occupations)) == (943, 1682, 19, 21)
    assert data.ratings["user_id"].value_counts().min() >= 12
    for fold in ("u1", "u2", "u3", "u4", "u5"):
        base, test = data.fold(fold)
        assert len(base) + len(test) == len(data.ratings)
    tests = pd.concat([data.fold(f"u{k}")[1] for k in range(1, 6)])
    assert not tests.duplicated(["user_id", "item_id"]).any() and len(tests) == len(data.ratings)
    assert (data.fold("ua")[1]["user_id"].value_counts() == 10).all()


def test_fixture_has_learnable_user_and_item_structure(data):
    base, test = data.fold("u1")
    mean_only = recsys.rmse_mae(test["rating"], np.full(len(test), base["rating"].mean()))[0]
    biases = recsys.fit_biases(base, data.n_users, data.n_items)
    with_biases = recsys.rmse_mae(test["rating"], biases.predict(test["user_id"], test["item_id"]))[0]
    assert with_biases < mean_only - 0.05
    popular = recsys.popularity_scores(data.ratings, data.n_items)
    assert popular[1:].max() > 10 * np.median(popular[1:])  # a long tail


def test_fixture_refuses_too_few_ratings(tmp_path):
    with pytest.raises(ValueError, match="per_user >= 12"):
        write_movielens_100k(tmp_path, np.random.default_rng(0), ENTRY, per_user=5)


# ------------------------------------------------------------------ parser errors


def _replace_line(path: Path, number: int, text: str) -> None:
    lines = path.read_text(encoding="latin-1").splitlines()
    lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")


def test_wrong_column_count_names_file_and_line(copy):
    _replace_line(copy / "u.data", 3, "1\t2\t3")
    with pytest.raises(recsys.MovieLensFormatError, match=r"u\.data line 3: 3 columns, expected 4"):
        recsys.load_movielens(copy)


def test_rating_outside_1_to_5_names_file_and_line(copy):
    _replace_line(copy / "u1.test", 7, "1\t2\t6\t881250949")
    with pytest.raises(recsys.MovieLensFormatError, match=r"u1\.test line 7: rating 6 is outside 1-5"):
        recsys.load_movielens(copy).fold("u1")


def test_non_integer_id_names_file_and_line(copy):
    _replace_line(copy / "u.data", 5, "1x\t2\t3\t881250949")
    with pytest.raises(recsys.MovieLensFormatError, match=r"u\.data line 5: user_id '1x' is not an integer"):
        recsys.read_ratings(copy / "u.data")
    _replace_line(copy / "u.user", 2, "two|24|M|technician|85711")
    with pytest.raises(recsys.MovieLensFormatError, match=r"u\.user line 2: user id 'two' is not an integer"):
        recsys.read_users(copy / "u.user")


def test_fold_ids_unknown_to_the_catalogue_are_named(copy):
    _replace_line(copy / "u2.base", 4, "1\t9999\t3\t881250949")
    with pytest.raises(recsys.MovieLensFormatError, match=r"u2\.base line 4: item_id 9999 is not in u\.item"):
        recsys.load_movielens(copy).fold("u2")
    _replace_line(copy / "ua.test", 1, "5000\t1\t3\t881250949")
    with pytest.raises(recsys.MovieLensFormatError, match=r"ua\.test line 1: user_id 5000 is not in u\.user"):
        recsys.load_movielens(copy).fold("ua")


def test_empty_file_is_named(copy):
    (copy / "u.item").write_text("\n")
    with pytest.raises(recsys.MovieLensFormatError, match=r"u\.item is empty"):
        recsys.load_movielens(copy)


def test_item_and_user_files_with_wrong_columns(copy):
    _replace_line(copy / "u.item", 2, "2|Only a title")
    with pytest.raises(recsys.MovieLensFormatError, match=r"u\.item line 2: 2 columns, expected 24"):
        recsys.load_movielens(copy)


def test_the_format_check_of_a_download_parses_each_file(copy):
    from helpers.data.checks import FormatError, check_format

    for remote in ENTRY.files:
        check_format(copy / Path(remote.path).name, remote.check)
    _replace_line(copy / "u.user", 3, "3|23|M")
    user_check = next(f.check for f in ENTRY.files if f.path.endswith("u.user"))
    with pytest.raises(FormatError, match=r"MovieLens 100K format \(u\.user line 3: 3 columns, expected 5"):
        check_format(copy / "u.user", user_check)
    (copy / "u1.test").write_bytes((copy / "u1.test").read_bytes()[:-3])
    with pytest.raises(FormatError, match="cut short"):
        check_format(copy / "u1.test", ENTRY.files[0].check)


def test_missing_file_folder_and_unknown_fold(copy, data, tmp_path):
    (copy / "u.genre").unlink()
    with pytest.raises(FileNotFoundError, match="u.genre"):
        recsys.load_movielens(copy)
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        recsys.load_movielens(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="not an official MovieLens 100K fold"):
        data.fold("u6")


def test_parser_reads_latin1_titles_and_dates(data):
    assert data.items["title"].iloc[0].startswith("Générique")
    assert data.items["release_date"].iloc[0] == pd.Timestamp("1930-01-01")
    assert data.genre_matrix().shape == (1683, 19) and data.genre_matrix()[0].sum() == 0
    features = data.user_features()
    assert features["age"].shape == (944,) and features["occupation"][1:].min() >= 1


# ------------------------------------------------------------------ splits and floors


def _frame(rows):
    return pd.DataFrame(rows, columns=list(recsys.RATING_COLUMNS))


def test_leave_latest_out_holds_out_each_users_latest_rating():
    ratings = _frame([(1, 1, 5, 10), (1, 2, 3, 30), (1, 3, 4, 20), (2, 1, 2, 5), (2, 4, 1, 5)])
    rest, held = recsys.leave_latest_out(ratings)
    assert held[["user_id", "item_id"]].values.tolist() == [[1, 2], [2, 4]]  # a tie goes to the larger id
    assert len(rest) == 3 and not rest.merge(held, on=["user_id", "item_id"]).size
    with pytest.raises(ValueError, match="needs >= 2 ratings per user; user 3"):
        recsys.leave_latest_out(pd.concat([ratings, _frame([(3, 1, 4, 1)])]))
    with pytest.raises(ValueError, match="lacks column"):
        recsys.leave_latest_out(ratings.drop(columns="timestamp"))


def test_chronological_split_cuts_at_a_quantile_of_time():
    ratings = _frame([(1, i, 3, t) for i, t in enumerate(range(100, 200, 10), start=1)])
    before, after, cut = recsys.chronological_split(ratings, test_fraction=0.3)
    assert before["timestamp"].max() < cut <= after["timestamp"].min() and len(after) == 3
    with pytest.raises(ValueError, match="test_fraction=1"):
        recsys.chronological_split(ratings, test_fraction=1)


def test_random_holdout_and_known_or_zero():
    ratings = _frame([(1, i, 3, i) for i in range(1, 11)])
    rest, held = recsys.random_holdout(ratings, 0.2, seed=1)
    assert len(held) == 2 and len(rest) == 8 and set(rest.item_id).isdisjoint(held.item_id)
    with pytest.raises(ValueError, match="fraction=0"):
        recsys.random_holdout(ratings, 0)
    with pytest.raises(ValueError, match="leaves nothing"):
        recsys.random_holdout(ratings.head(1), 0.1)
    assert recsys.known_or_zero(np.array([1, 5, 2]), np.array([1, 2])).tolist() == [1, 0, 2]


def test_biases_by_hand():
    ratings = _frame([(1, 1, 5, 0), (1, 2, 3, 0), (2, 1, 4, 0)])
    # no regularisation, one step: item biases are item means minus the global mean (4)
    plain = recsys.fit_biases(ratings, 2, 2, reg_user=0, reg_item=0, n_iter=1)
    assert plain.mean == 4.0 and np.allclose(plain.item[1:], [0.5, -1.0])
    # user 1: residuals 5-4-0.5 and 3-4+1 -> mean 0.25; user 2: 4-4-0.5 -> -0.5
    assert np.allclose(plain.user[1:], [0.25, -0.5])
    shrunk = recsys.fit_biases(ratings, 2, 2, reg_user=0, reg_item=2, n_iter=1)
    assert np.allclose(shrunk.item[1:], [1.0 / 4, -1.0 / 3])  # sums over (2 + n_i)
    assert shrunk.predict(np.array([0]), np.array([0])).tolist() == [4.0]  # unknown: the mean
    assert (
        recsys.Biases(3.0, np.array([0.0, 3.0]), np.array([0.0, 0.0])).predict(np.array([1]), np.array([1]))[
            0
        ]
        == 5
    )
    with pytest.raises(ValueError, match="reg_user=-1"):
        recsys.fit_biases(ratings, 2, 2, reg_user=-1)
    with pytest.raises(ValueError, match="n_iter=0"):
        recsys.fit_biases(ratings, 2, 2, n_iter=0)
    with pytest.raises(ValueError, match="known_or_zero"):
        plain.predict(np.array([7]), np.array([1]))
    with pytest.raises(ValueError, match="same shape"):
        plain.predict(np.array([1, 2]), np.array([1]))


def test_popularity_rmse_mae_and_rating_matrix():
    ratings = _frame([(1, 2, 5, 0), (2, 2, 3, 0), (2, 3, 4, 0)])
    assert recsys.popularity_scores(ratings, 3).tolist() == [0, 0, 2, 1]
    assert recsys.rmse_mae([1, 3], [2, 5]) == (pytest.approx(math.sqrt(2.5)), 1.5)
    matrix = recsys.rating_matrix(ratings, 2, 3)
    assert matrix.shape == (3, 4) and matrix[2, 3] == 4 and matrix.nnz == 3
    with pytest.raises(ValueError, match="lacks column"):
        recsys.popularity_scores(ratings.drop(columns="item_id"), 3)


# ------------------------------------------------------------------ ranking metrics, by hand

SCORES = np.array(
    [
        # col 0 is the unknown id (never ranked)
        [9.0, 0.9, 0.8, 0.7, 0.6, 0.5],
        [9.0, 0.1, 0.5, 0.5, 0.9, 0.2],
    ]
)
SEEN = np.array([[0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0]], bool)


def test_rank_of_held_out_against_the_full_catalogue_by_hand():
    # user 0: item 1 is seen, so items 2, 3, 4 come first; item 4 has rank 2
    # user 1: item 4 is seen; item 2 and 3 tie (0.5), the lower id first: item 3 has rank 1
    assert recsys.rank_of_held_out(SCORES, SEEN, np.array([4, 3])).tolist() == [2, 1]
    assert recsys.rank_of_held_out(SCORES, SEEN, np.array([2, 1])).tolist() == [0, 3]


def test_hit_rate_and_ndcg_by_hand():
    hr, ndcg = recsys.hit_rate_and_ndcg(SCORES, SEEN, np.array([4, 3]), k=2)
    # ranks 2 and 1: only user 1 hits at k=2, with gain 1/log2(3)
    assert hr == 0.5 and ndcg == pytest.approx(0.5 / math.log2(3))
    hr, ndcg = recsys.hit_rate_and_ndcg(SCORES, SEEN, np.array([2, 1]), k=10)
    assert hr == 1.0 and ndcg == pytest.approx((1 + 1 / math.log2(5)) / 2)


def test_ranking_refuses_bad_input():
    with pytest.raises(ValueError, match="leaked into training"):
        recsys.hit_rate_and_ndcg(SCORES, SEEN, np.array([1, 3]))
    with pytest.raises(ValueError, match="k=0"):
        recsys.hit_rate_and_ndcg(SCORES, SEEN, np.array([4, 3]), k=0)
    with pytest.raises(ValueError, match="seen has shape"):
        recsys.hit_rate_and_ndcg(SCORES, SEEN[:, :3], np.array([4, 3]))
    with pytest.raises(ValueError, match="NaN"):
        recsys.hit_rate_and_ndcg(np.full((2, 6), np.nan), SEEN, np.array([4, 3]))
    with pytest.raises(ValueError, match="one item per row"):
        recsys.rank_of_held_out(SCORES, SEEN, np.array([4]))
    with pytest.raises(ValueError, match="users, items"):
        recsys.top_k(SCORES[0], SEEN[0])


def test_top_k_coverage_and_popularity_bias_by_hand():
    top = recsys.top_k(SCORES, SEEN, k=2)
    assert top.tolist() == [[2, 3], [2, 3]]  # ties to the lower id; seen items and column 0 skipped
    assert recsys.catalogue_coverage(top, 5) == 2 / 5
    popularity = np.array([0, 10, 9, 1, 1, 1])  # top 20% of 5 movies = 1 movie: id 1
    assert recsys.popularity_bias(np.array([[1, 2], [3, 1]]), popularity, top_share=0.2) == 0.5
    with pytest.raises(ValueError, match="k=6"):
        recsys.top_k(SCORES, SEEN, k=6)
    with pytest.raises(ValueError, match="top_share=0"):
        recsys.popularity_bias(top, popularity, top_share=0)
    with pytest.raises(ValueError, match="empty"):
        recsys.popularity_bias(np.array([]), popularity)
    with pytest.raises(ValueError, match="n_items"):
        recsys.catalogue_coverage(top, 0)


def test_nearest_items_by_cosine():
    vectors = np.array([[0, 0], [1, 0], [0.9, 0.1], [0, 1], [-1, 0]], float)
    assert recsys.nearest_items(vectors, 1, k=2).tolist() == [2, 3]
    with pytest.raises(ValueError, match="item=0"):
        recsys.nearest_items(vectors, 0)
    with pytest.raises(ValueError, match="k=9"):
        recsys.nearest_items(vectors, 1, k=9)


# ------------------------------------------------------------------ Keras models


def test_in_batch_softmax_loss_by_hand():
    users = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    items = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    # logits [[10, 0], [0, 10]] at temperature 0.1: loss = log(1 + e^-10) per row
    loss = float(recsys.in_batch_softmax_loss(users, items, temperature=0.1))
    assert loss == pytest.approx(math.log1p(math.exp(-10)), abs=1e-6)
    swapped = float(recsys.in_batch_softmax_loss(users, items[::-1].copy(), temperature=0.1))
    assert swapped == pytest.approx(10 + math.log1p(math.exp(-10)), rel=1e-4)
    with pytest.raises(ValueError, match="temperature=0"):
        recsys.in_batch_softmax_loss(users, items, temperature=0)


def test_rating_models_learn_on_the_fixture(data):
    keras.utils.set_random_seed(0)
    base, test = data.fold("u1")
    train, val = recsys.random_holdout(base, 0.1)
    mean = float(train["rating"].mean())
    for build in (recsys.build_mf, recsys.build_neumf):
        model = build(data.n_users, data.n_items, dim=8, mean=mean)
        history = recsys.fit_ratings(
            model,
            recsys.id_inputs(train),
            train["rating"],
            recsys.id_inputs(val),
            val["rating"],
            epochs=3,
            learning_rate=0.01,
        )
        assert history.history["loss"][-1] < history.history["loss"][0]
        prediction = recsys.predict_ratings(model, recsys.id_inputs(test))
        assert prediction.shape == (len(test),) and 1 <= prediction.min() and prediction.max() <= 5
    hybrid = recsys.build_hybrid(
        data.n_users, data.n_items, len(data.genres), len(data.occupations), dim=8, mean=mean
    )
    x = recsys.hybrid_inputs(data, train["user_id"], train["item_id"])
    history = recsys.fit_ratings(
        hybrid,
        x,
        train["rating"],
        recsys.hybrid_inputs(data, val.user_id, val.item_id),
        val["rating"],
        epochs=2,
        learning_rate=0.01,
    )
    assert history.history["loss"][-1] < history.history["loss"][0]
    cold = recsys.hybrid_inputs(
        data, test["user_id"], test["item_id"], known_users=np.array([1]), known_items=np.array([1])
    )
    assert set(np.unique(cold["user"])) <= {0, 1} and cold["genres"].sum() > 0
    scores = recsys.score_all_items(model, np.array([1, 2]), data.n_items)
    assert scores.shape == (2, data.n_items + 1)


def test_model_builders_refuse_bad_sizes(data):
    with pytest.raises(ValueError, match="dim=0"):
        recsys.build_mf(10, 10, dim=0)
    with pytest.raises(ValueError, match="l2=-1"):
        recsys.build_hybrid(10, 10, 19, 21, l2=-1)
    with pytest.raises(ValueError, match="hidden"):
        recsys.build_neumf(10, 10, hidden=())
    with pytest.raises(ValueError, match="ratings in 1-5"):
        model = recsys.build_mf(10, 10)
        x = {"user": np.array([1]), "item": np.array([1])}
        recsys.fit_ratings(model, x, np.array([7.0]), x, np.array([3.0]))
    with pytest.raises(ValueError, match="epochs=0"):
        recsys.fit_ratings(model, x, np.array([3.0]), x, np.array([3.0]), epochs=0)


def test_two_tower_trains_with_in_batch_negatives(data):
    keras.utils.set_random_seed(0)
    model = recsys.TwoTower(data.n_users, data.n_items, data.genre_matrix(), dim=8)
    model.compile(keras.optimizers.Adam(0.01))
    history = model.fit(recsys.id_inputs(data.ratings), epochs=2, batch_size=512, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    rest, held = recsys.leave_latest_out(data.ratings)
    users = held["user_id"].to_numpy()
    seen = recsys.rating_matrix(rest, data.n_users, data.n_items)[users] > 0
    curve = recsys.fit_retrieval(
        model, recsys.id_inputs(rest), users, seen, held["item_id"].to_numpy(), epochs=2
    )
    assert len(curve) == 2 and all(0 <= v <= 1 for v in curve)
    with pytest.raises(ValueError, match="compile the model first"):
        recsys.fit_retrieval(recsys.TwoTower(5, 5, np.zeros((6, 2))), {}, users, seen, users, epochs=1)
    scores = model.score_all(np.array([1, 2, 3]))
    assert scores.shape == (3, data.n_items + 1) and np.abs(scores).max() <= 1 + 1e-5  # cosines
    with pytest.raises(ValueError, match="genre_flags must be"):
        recsys.TwoTower(data.n_users, data.n_items, data.genre_matrix()[1:])
    with pytest.raises(ValueError, match="temperature=0"):
        recsys.TwoTower(data.n_users, data.n_items, data.genre_matrix(), temperature=0)


def test_observed_squared_error_and_rmse_ignore_unrated_entries():
    y_true = np.array([[5.0, 0.0, 3.0], [0.0, 0.0, 1.0]], np.float32)
    y_pred = np.array([[4.0, 9.0, 3.0], [7.0, 7.0, 3.0]], np.float32)
    # row 0: (5-4)^2 + (3-3)^2 = 1; row 1: (1-3)^2 = 4; the 0 entries never count
    loss = keras.ops.convert_to_numpy(recsys.observed_squared_error(y_true, y_pred))
    np.testing.assert_allclose(loss, [1.0, 4.0])
    metric = recsys.ObservedRMSE()
    metric.update_state(y_true, y_pred)
    assert float(metric.result()) == pytest.approx(math.sqrt(5 / 3))


def test_item_rating_vectors_by_hand():
    frame = pd.DataFrame({"user_id": [1, 2, 2], "item_id": [3, 1, 3], "rating": [4, 5, 2]})
    vectors = recsys.item_rating_vectors(frame, n_users=2, n_items=3)
    assert vectors.shape == (4, 3) and vectors.dtype == np.float32
    assert vectors[3, 1] == 4 and vectors[1, 2] == 5 and vectors[3, 2] == 2 and vectors.sum() == 11


def test_autorec_learns_on_the_fixture_and_refuses_bad_input(data):
    keras.utils.set_random_seed(0)
    base, test = data.fold("u1")
    train, val = recsys.random_holdout(base, 0.1)
    x_fit, x_val = (recsys.item_rating_vectors(f, data.n_users, data.n_items) for f in (train, val))
    model = recsys.build_autorec(data.n_users, hidden=16, l2=1e-3, mean=float(train["rating"].mean()))
    assert model.output_shape == (None, data.n_users + 1)
    history = recsys.fit_autorec(model, x_fit, x_val, epochs=4, learning_rate=0.01, batch_size=256)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert "val_rmse" in history.history
    prediction = recsys.predict_autorec(model, x_fit, test["user_id"], test["item_id"])
    assert prediction.shape == (len(test),) and 1 <= prediction.min() and prediction.max() <= 5
    reconstruction = keras.ops.convert_to_numpy(model(x_fit[:3]))
    np.testing.assert_allclose(
        recsys.predict_autorec(model, x_fit, [1, 2], [2, 1]),
        np.clip([reconstruction[2, 1], reconstruction[1, 2]], 1, 5),
        rtol=1e-5,
    )
    with pytest.raises(ValueError, match="hidden=0"):
        recsys.build_autorec(10, hidden=0)
    with pytest.raises(ValueError, match="one shape"):
        recsys.fit_autorec(model, x_fit, x_val[:-1])
    with pytest.raises(ValueError, match="no rating"):
        recsys.fit_autorec(model, x_fit, np.zeros_like(x_val))
    with pytest.raises(ValueError, match="patience=0"):
        recsys.fit_autorec(model, x_fit, x_val, patience=0)


def test_id_dropout_hides_ids_only_in_training(data):
    layer = recsys.IdDropout(0.5, seed=0)
    ids = np.arange(1, 2001, dtype="int32")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(ids)), ids)
    dropped = keras.ops.convert_to_numpy(layer(ids, training=True))
    assert 0.4 < (dropped == 0).mean() < 0.6 and set(dropped[dropped > 0]) <= set(ids)
    with pytest.raises(ValueError, match="rate=1"):
        recsys.IdDropout(1.0)
    with pytest.raises(ValueError, match="id_dropout=1"):
        recsys.build_hybrid(10, 10, 19, 21, id_dropout=1.0)
    hybrid = recsys.build_hybrid(
        data.n_users, data.n_items, len(data.genres), len(data.occupations), 8, id_dropout=0.3
    )
    assert hybrid.get_layer("user_id_dropout").rate == 0.3
