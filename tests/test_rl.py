"""Unit tests for helpers.rl: environments, replay buffer, seeded evaluation and frames."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import rl


def _push_left(observations: np.ndarray) -> np.ndarray:
    return np.zeros(len(observations), dtype=np.int64)


def _angle_rule(observations: np.ndarray) -> np.ndarray:
    return (observations[:, 2] + observations[:, 3] > 0).astype(np.int64)


# --- environments -------------------------------------------------------------------


def test_make_env_returns_a_working_environment():
    env = rl.make_env("CartPole-v1")
    observation, _ = env.reset(seed=0)
    assert observation.shape == (4,)
    env.close()


@pytest.mark.parametrize("name", ["CartPol-v1", "cartpole", "Pendulum-v9"])
def test_make_env_unknown_name_names_close_matches(name):
    with pytest.raises(ValueError, match=r"Unknown environment .*(Did you mean|pprint_registry)"):
        rl.make_env(name)


def test_make_env_unknown_name_suggests_the_right_one():
    with pytest.raises(ValueError, match=r"Did you mean 'CartPole-v1'"):
        rl.make_env("CartPol-v1")


# --- replay buffer ------------------------------------------------------------------


def test_replay_buffer_stores_and_samples_transitions():
    buffer = rl.ReplayBuffer(10, observation_shape=(4,), seed=0)
    for i in range(3):
        buffer.add(np.full(4, i), i % 2, float(i), np.full(4, i + 1), terminated=i == 2)
    assert len(buffer) == 3
    batch = buffer.sample(3, n_batches=10)
    assert batch.observations.shape == (10, 3, 4) and batch.actions.shape == (10, 3)
    # every sampled row is one of the stored transitions, fields kept together
    np.testing.assert_array_equal(batch.next_observations[..., 0], batch.observations[..., 0] + 1)
    np.testing.assert_array_equal(batch.rewards, batch.observations[..., 0])
    np.testing.assert_array_equal(batch.terminated, (batch.rewards == 2).astype(np.float32))


def test_replay_buffer_overwrites_the_oldest_when_full():
    buffer = rl.ReplayBuffer(4, observation_shape=(1,), seed=0)
    for i in range(10):
        buffer.add(np.array([i]), 0, float(i), np.array([i]), False)
    assert len(buffer) == 4
    assert set(buffer.sample(4, n_batches=50).rewards.ravel().tolist()) == {6.0, 7.0, 8.0, 9.0}


def test_replay_buffer_stacks_several_batches_for_one_training_call():
    buffer = rl.ReplayBuffer(100, observation_shape=(3,), action_shape=(1,), action_dtype=np.float32)
    for _ in range(20):
        buffer.add(np.zeros(3), np.array([0.5]), 1.0, np.ones(3), False)
    batch = buffer.sample(8, n_batches=5)
    assert batch.observations.shape == (5, 8, 3)
    assert batch.actions.shape == (5, 8, 1) and batch.actions.dtype == np.float32


def test_replay_buffer_batch_is_a_named_tuple_for_tf_function():
    buffer = rl.ReplayBuffer(10, observation_shape=(2,), seed=0)
    buffer.add(np.zeros(2), 1, 1.0, np.ones(2), True)
    batch = buffer.sample(1)
    assert isinstance(batch, tuple)  # tf.nest (and so tf.function) flattens named tuples
    assert batch._fields == ("observations", "actions", "rewards", "next_observations", "terminated")
    assert batch.terminated.dtype == np.float32 and batch.terminated.tolist() == [1.0]


def test_replay_buffer_refuses_to_sample_more_than_it_holds():
    buffer = rl.ReplayBuffer(100, observation_shape=(4,))
    for _ in range(5):
        buffer.add(np.zeros(4), 0, 0.0, np.zeros(4), False)
    with pytest.raises(ValueError, match=r"Cannot sample 6 transitions: the buffer holds only 5"):
        buffer.sample(6)


def test_replay_buffer_refuses_a_wrong_observation_shape():
    buffer = rl.ReplayBuffer(100, observation_shape=(4,))
    with pytest.raises(ValueError, match=r"observation has shape \(1, 4\).*shape \(4,\)"):
        buffer.add(np.zeros((1, 4)), 0, 0.0, np.zeros(4), False)
    with pytest.raises(ValueError, match=r"next_observation has shape \(3,\)"):
        buffer.add(np.zeros(4), 0, 0.0, np.zeros(3), False)
    assert len(buffer) == 0


def test_replay_buffer_refuses_a_wrong_action_shape():
    buffer = rl.ReplayBuffer(100, observation_shape=(3,), action_shape=(1,), action_dtype=np.float32)
    with pytest.raises(ValueError, match=r"action has shape \(\).*\(1,\)"):
        buffer.add(np.zeros(3), 0.5, 0.0, np.zeros(3), False)


@pytest.mark.parametrize("capacity", [0, -3, 2.5])
def test_replay_buffer_refuses_a_bad_capacity(capacity):
    with pytest.raises(ValueError, match="capacity must be a positive integer"):
        rl.ReplayBuffer(capacity, observation_shape=(4,))


def test_replay_buffer_refuses_a_non_positive_batch():
    buffer = rl.ReplayBuffer(10, observation_shape=(1,))
    with pytest.raises(ValueError, match="batch_size must be positive"):
        buffer.sample(0)


# --- evaluation ---------------------------------------------------------------------


def test_evaluate_policy_is_reproducible_and_matches_single_episodes():
    stats = rl.evaluate_policy("CartPole-v1", _push_left, n_episodes=5, seed=3)
    again = rl.evaluate_policy("CartPole-v1", _push_left, n_episodes=5, seed=3)
    np.testing.assert_array_equal(stats.returns, again.returns)
    # episode i is the episode that reset(seed=seed + i) starts, played on its own
    env = rl.make_env("CartPole-v1")
    for i in range(5):
        env.reset(seed=3 + i)
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(0)
            total += reward
            done = terminated or truncated
        assert stats.returns[i] == total
    env.close()
    assert stats.terminated.all()  # always pushing left drops the pole: terminated, not cut off
    np.testing.assert_array_equal(stats.lengths, stats.returns)  # CartPole: +1 per step


def test_evaluate_policy_counts_time_limit_cut_offs_apart_from_terminations():
    stats = rl.evaluate_policy("CartPole-v1", _angle_rule, n_episodes=3, seed=0)
    assert stats.returns.max() == 500
    assert stats.terminated.sum() == (stats.lengths < 500).sum()
    summary = stats.summary()
    assert set(summary) == {"mean", "std", "min", "max", "episodes", "terminated"}
    assert summary["min"] <= summary["mean"] <= summary["max"]
    assert "over 3 episodes" in str(stats)


def test_evaluate_policy_continuous_actions():
    stats = rl.evaluate_policy("Pendulum-v1", lambda obs: np.zeros((len(obs), 1)), n_episodes=2, seed=0)
    assert stats.lengths.tolist() == [200, 200]
    assert (stats.returns < 0).all() and not stats.terminated.any()


def test_evaluate_policy_refuses_a_policy_with_the_wrong_batch():
    with pytest.raises(ValueError, match=r"returned actions of shape \(1,\) for 4 observations"):
        rl.evaluate_policy("CartPole-v1", lambda obs: np.zeros(1, dtype=np.int64), n_episodes=4)


def test_evaluate_policy_refuses_bad_arguments():
    with pytest.raises(ValueError, match="n_episodes must be at least 1"):
        rl.evaluate_policy("CartPole-v1", _push_left, n_episodes=0)
    with pytest.raises(ValueError, match="Unknown environment 'NoSuchEnv-v0'"):
        rl.evaluate_policy("NoSuchEnv-v0", _push_left, n_episodes=1)


# --- frames and curves --------------------------------------------------------------


def test_capture_frames_renders_the_start_and_every_step():
    episode = rl.capture_frames("CartPole-v1", _push_left, seed=0)
    assert len(episode.frames) == int(episode.episode_return) + 1
    assert episode.steps == list(range(len(episode.frames)))
    frame = episode.frames[0]
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8
    short = rl.capture_frames("CartPole-v1", _angle_rule, seed=0, max_steps=5)
    assert short.steps == [0, 1, 2, 3, 4, 5] and short.episode_return == 5.0


def test_capture_frames_keeps_every_kth_frame_and_the_last():
    episode = rl.capture_frames("CartPole-v1", _angle_rule, seed=0, max_steps=23, every=10)
    assert episode.steps == [0, 10, 20, 23]
    assert len(episode.frames) == 4


def test_capture_frames_refuses_bad_arguments():
    with pytest.raises(ValueError, match="max_steps must be at least 1"):
        rl.capture_frames("CartPole-v1", _push_left, max_steps=0)
    with pytest.raises(ValueError, match="every must be at least 1"):
        rl.capture_frames("CartPole-v1", _push_left, every=0)
    with pytest.raises(ValueError, match="Unknown environment"):
        rl.capture_frames("Cartpole-v1", _push_left)


def test_plot_frame_strip_shows_evenly_spaced_steps():
    import matplotlib.pyplot as plt

    frames = [np.full((4, 6, 3), i, dtype=np.uint8) for i in range(11)]
    episode = rl.CapturedEpisode(frames, [10 * i for i in range(11)], 0.0)
    fig = rl.plot_frame_strip(episode, n=3, title="t")
    assert [ax.get_title() for ax in fig.axes] == ["step 0", "step 50", "step 100"]
    plt.close(fig)
    with pytest.raises(ValueError, match="at least one frame"):
        rl.plot_frame_strip(rl.CapturedEpisode([], [], 0.0), n=3)


def test_moving_average():
    np.testing.assert_allclose(rl.moving_average([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5])
    np.testing.assert_allclose(rl.moving_average([5.0], 10), [5.0])
    with pytest.raises(ValueError, match="window must be at least 1"):
        rl.moving_average([1, 2], 0)
