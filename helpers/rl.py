"""Reinforcement-learning helpers: environments, a replay buffer, seeded evaluation, frames.

The environments come from Gymnasium (``gymnasium``, classic control: pure Python, no
download). Everything here works on NumPy arrays and on batches of observations, so
that a policy (a hand-written rule, a random policy or a Keras network) is one function
``policy(observations) -> actions`` called once per step for many episodes at a time.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import gymnasium as gym
import numpy as np
from matplotlib.figure import Figure

Policy = Callable[[np.ndarray], np.ndarray]


def make_env(name: str, *, render: bool = False, **kwargs) -> gym.Env:
    """Create the Gymnasium environment ``name`` (e.g. ``"CartPole-v1"``).

    Args:
        name: a registered environment id, with its version.
        render: if True, ``env.render()`` returns an RGB array (``render_mode="rgb_array"``);
            no display is needed (pygame draws off-screen).
        **kwargs: passed on to ``gymnasium.make`` (e.g. ``max_episode_steps``).

    Raises:
        ValueError: ``name`` is not a registered environment; the message lists the
            closest registered names.
    """
    if not isinstance(name, str) or name not in gym.registry:
        close = difflib.get_close_matches(str(name), list(gym.registry), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"Unknown environment {name!r}.{hint} Registered ids include the version "
            "(e.g. 'CartPole-v1', 'Pendulum-v1'); list them with `gymnasium.pprint_registry()`."
        )
    if render:
        # pygame opens no window for rgb_array, but on a machine without a display it
        # still needs a video driver; the dummy one draws off-screen.
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        kwargs["render_mode"] = "rgb_array"
    return gym.make(name, **kwargs)


class Batch(NamedTuple):
    """Transitions sampled from a :class:`ReplayBuffer` (leading axis: the batch).

    A named tuple, so a ``tf.function`` accepts it whole: ``train_step(buffer.sample(64))``.
    """

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_observations: np.ndarray
    terminated: np.ndarray


class ReplayBuffer:
    """A fixed-size ring buffer of transitions ``(s, a, r, s', terminated)`` in NumPy arrays.

    Only ``terminated`` (the episode really ended: no future reward) is stored: an
    episode cut off by a time limit (``truncated``) still has a future, so its last
    transition must be stored with ``terminated=False`` and bootstrapped from ``s'``.

    Example::

        buffer = ReplayBuffer(10_000, observation_shape=(4,), seed=0)
        buffer.add(obs, action, reward, next_obs, terminated)
        batch = buffer.sample(64)     # Batch of arrays, each with 64 rows
    """

    def __init__(
        self,
        capacity: int,
        observation_shape: tuple[int, ...],
        action_shape: tuple[int, ...] = (),
        action_dtype: type | str = np.int64,
        seed: int | None = None,
    ) -> None:
        """Allocate room for ``capacity`` transitions; ``action_shape=()`` for discrete actions.

        Raises:
            ValueError: ``capacity`` is not a positive integer.
        """
        if not isinstance(capacity, int | np.integer) or capacity <= 0:
            raise ValueError(f"capacity must be a positive integer, got {capacity!r}.")
        self.capacity = int(capacity)
        self.observation_shape = tuple(observation_shape)
        self.action_shape = tuple(action_shape)
        self.observations = np.zeros((self.capacity, *self.observation_shape), dtype=np.float32)
        self.next_observations = np.zeros_like(self.observations)
        self.actions = np.zeros((self.capacity, *self.action_shape), dtype=action_dtype)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.terminated = np.zeros(self.capacity, dtype=np.float32)
        self._next = 0
        self._size = 0
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self._size

    def add(
        self,
        observation: np.ndarray,
        action: np.ndarray | int | float,
        reward: float,
        next_observation: np.ndarray,
        terminated: bool,
    ) -> None:
        """Store one transition, overwriting the oldest one when the buffer is full.

        Raises:
            ValueError: an observation or the action does not have the buffer's shape.
        """
        for what, value in (("observation", observation), ("next_observation", next_observation)):
            if np.shape(value) != self.observation_shape:
                raise ValueError(
                    f"{what} has shape {np.shape(value)}, but this buffer stores observations of "
                    f"shape {self.observation_shape}: pass one transition at a time, unbatched."
                )
        if np.shape(action) != self.action_shape:
            raise ValueError(
                f"action has shape {np.shape(action)}, but this buffer stores actions of shape "
                f"{self.action_shape} (use () for a discrete action)."
            )
        i = self._next
        self.observations[i] = observation
        self.actions[i] = action
        self.rewards[i] = reward
        self.next_observations[i] = next_observation
        self.terminated[i] = float(terminated)
        self._next = (i + 1) % self.capacity
        self._size = min(self._size + 1, self.capacity)

    def sample(self, batch_size: int, n_batches: int | None = None) -> Batch:
        """Sample transitions uniformly (with replacement).

        Args:
            batch_size: transitions per batch; at most ``len(self)``.
            n_batches: if given, return ``n_batches`` batches stacked on a new leading
                axis (shape ``(n_batches, batch_size, ...)``), for several gradient steps
                in one ``tf.function`` call.

        Raises:
            ValueError: ``batch_size`` is not positive or exceeds the transitions held.
        """
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}.")
        if batch_size > self._size:
            raise ValueError(
                f"Cannot sample {batch_size} transitions: the buffer holds only {self._size}. "
                "Collect more steps before training (start learning after at least one batch)."
            )
        shape = (batch_size,) if n_batches is None else (int(n_batches), batch_size)
        idx = self._rng.integers(0, self._size, size=shape)
        return Batch(
            self.observations[idx],
            self.actions[idx],
            self.rewards[idx],
            self.next_observations[idx],
            self.terminated[idx],
        )


@dataclass(frozen=True)
class EpisodeStats:
    """Returns and lengths of evaluation episodes, one entry per seeded episode."""

    returns: np.ndarray
    lengths: np.ndarray
    terminated: np.ndarray

    @property
    def mean(self) -> float:
        return float(np.mean(self.returns))

    @property
    def std(self) -> float:
        return float(np.std(self.returns))

    @property
    def min(self) -> float:
        return float(np.min(self.returns))

    @property
    def max(self) -> float:
        return float(np.max(self.returns))

    def summary(self) -> dict[str, float]:
        """``{"mean", "std", "min", "max", "episodes", "terminated"}`` for a results table."""
        return {
            "mean": self.mean,
            "std": self.std,
            "min": self.min,
            "max": self.max,
            "episodes": float(len(self.returns)),
            "terminated": float(np.sum(self.terminated)),
        }

    def __str__(self) -> str:
        return (
            f"return {self.mean:.1f} ± {self.std:.1f} (min {self.min:.1f}, max {self.max:.1f}) "
            f"over {len(self.returns)} episodes; {int(np.sum(self.terminated))} terminated, "
            f"{int(len(self.returns) - np.sum(self.terminated))} cut off by the time limit"
        )


def evaluate_policy(env_name: str, policy: Policy, n_episodes: int = 100, seed: int = 0) -> EpisodeStats:
    """Run ``n_episodes`` episodes side by side; episode ``i`` starts from ``reset(seed=seed + i)``.

    The episodes run in a Gymnasium ``SyncVectorEnv``, so ``policy`` sees a batch of
    observations of shape ``(n_episodes, *observation_shape)`` at every step and must
    return one action per row. Once an episode ends (terminated or truncated), its later
    rewards are ignored. The same seeds give the same start states, so two policies
    scored with the same ``seed`` face the same episodes.

    Raises:
        ValueError: unknown environment, ``n_episodes`` < 1, or the policy returns the
            wrong number of actions.
    """
    if n_episodes < 1:
        raise ValueError(f"n_episodes must be at least 1, got {n_episodes}.")
    make_env(env_name).close()  # a clear error for an unknown name
    envs = gym.vector.SyncVectorEnv([lambda: gym.make(env_name) for _ in range(n_episodes)])
    try:
        observations, _ = envs.reset(seed=[seed + i for i in range(n_episodes)])
        returns = np.zeros(n_episodes)
        lengths = np.zeros(n_episodes, dtype=np.int64)
        terminated_flags = np.zeros(n_episodes, dtype=bool)
        running = np.ones(n_episodes, dtype=bool)
        while running.any():
            actions = np.asarray(policy(observations))
            if actions.shape[:1] != (n_episodes,):
                raise ValueError(
                    f"The policy returned actions of shape {actions.shape} for {n_episodes} "
                    "observations: return one action per observation (batch axis first)."
                )
            if isinstance(envs.single_action_space, gym.spaces.Box):
                actions = actions.reshape((n_episodes, *envs.single_action_space.shape))
            observations, rewards, terminated, truncated, _ = envs.step(actions)
            returns += np.where(running, rewards, 0.0)
            lengths += running
            terminated_flags |= running & terminated
            running &= ~(terminated | truncated)
    finally:
        envs.close()
    return EpisodeStats(returns, lengths, terminated_flags)


@dataclass(frozen=True)
class CapturedEpisode:
    """Frames of one episode: ``frames[i]`` shows the state after ``steps[i]`` steps."""

    frames: list[np.ndarray]
    steps: list[int]
    episode_return: float


def capture_frames(
    env_name: str, policy: Policy, seed: int = 0, max_steps: int | None = None, every: int = 1
) -> CapturedEpisode:
    """Play one seeded episode with ``policy`` and keep rendered frames of it.

    ``policy`` is called on a batch of one observation, as in :func:`evaluate_policy`.
    The start state and the last state are always kept; in between, one frame every
    ``every`` steps (a 500-step CartPole episode is 360 MB of frames if you keep them all).

    Raises:
        ValueError: unknown environment, ``max_steps`` < 1 or ``every`` < 1.
    """
    if max_steps is not None and max_steps < 1:
        raise ValueError(f"max_steps must be at least 1, got {max_steps}.")
    if every < 1:
        raise ValueError(f"every must be at least 1 (keep one frame every `every` steps), got {every}.")
    env = make_env(env_name, render=True)
    try:
        observation, _ = env.reset(seed=seed)
        frames, steps = [env.render()], [0]
        total, step, done = 0.0, 0, False
        while not done and (max_steps is None or step < max_steps):
            action = np.asarray(policy(observation[np.newaxis]))[0]
            observation, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            step += 1
            done = terminated or truncated or (max_steps is not None and step >= max_steps)
            if step % every == 0 or done:
                frames.append(env.render())
                steps.append(step)
    finally:
        env.close()
    return CapturedEpisode(frames, steps, total)


def plot_frame_strip(episode: CapturedEpisode, n: int = 6, title: str | None = None) -> Figure:
    """Show ``n`` of an episode's frames, spread evenly from start to end, with their step numbers.

    Raises:
        ValueError: the episode has no frames, or ``n`` < 1.
    """
    import matplotlib.pyplot as plt

    if not episode.frames or n < 1:
        raise ValueError(f"Need at least one frame and n >= 1 (got {len(episode.frames)} frames, n={n}).")
    last = len(episode.frames) - 1
    picked = np.unique(np.linspace(0, last, num=min(n, len(episode.frames))).round().astype(int))
    fig, axes = plt.subplots(1, len(picked), figsize=(2.2 * len(picked), 2.0), squeeze=False)
    for ax, i in zip(axes[0], picked, strict=True):
        ax.imshow(episode.frames[i])
        ax.set_title(f"step {episode.steps[i]}", fontsize=9)
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def moving_average(values: np.ndarray | list[float], window: int) -> np.ndarray:
    """Trailing mean over the last ``window`` values (shorter at the start), same length as ``values``.

    Raises:
        ValueError: ``window`` < 1.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}.")
    values = np.asarray(values, dtype=float)
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(0, ends - window)
    return (cumulative[ends] - cumulative[starts]) / (ends - starts)
