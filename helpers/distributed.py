"""Multi-worker training on one machine: ports, ``TF_CONFIG`` and worker processes.

``tf.distribute.MultiWorkerMirroredStrategy`` trains one model with several processes
(usually on several machines). Each process reads the cluster's layout and its own place
in it from the ``TF_CONFIG`` environment variable. This module runs such a cluster on
this machine, on loopback ports (127.0.0.1 only), with bounded waits everywhere:

- :func:`free_ports` and :func:`check_port_free` pick and check loopback ports;
- :func:`tf_config` builds one worker's ``TF_CONFIG``;
- :class:`WorkerCluster` starts the workers (``python -m helpers.distributed_worker`` by
  default), waits until they are up, follows their logs, kills one by its process id,
  restarts them, and always stops every process it started: on ``stop()``, when its
  ``with`` block ends (also after an error), and when Python exits;
- :func:`split_cpu` splits the CPU into logical devices for ``MirroredStrategy``.

TensorFlow is imported only by :func:`split_cpu`, so the cluster helpers stay light.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

LOCALHOST = "127.0.0.1"
WORKER_MODULE = "helpers.distributed_worker"
READY_MARKER = "READY"  # what a worker prints once its strategy (and so the cluster) is up
READY_RE = re.compile(rf"^\[worker \d+\] {READY_MARKER}\b", flags=re.MULTILINE)
LOG_PREFIX = "[worker"


class ClusterError(RuntimeError):
    """A multi-worker cluster could not be started or did not finish."""


class PortInUseError(ClusterError):
    """A port meant for a worker is already taken on 127.0.0.1."""


class WorkerStartError(ClusterError):
    """A worker exited, or did not report that it was up, within the start timeout."""


class WorkerTimeoutError(ClusterError):
    """Workers did not finish (or print what was waited for) within the timeout."""


def free_ports(n: int) -> list[int]:
    """Return ``n`` distinct TCP ports that are free on 127.0.0.1 right now.

    The operating system picks them (binding to port 0). Another program could take one
    before a worker binds it; :class:`WorkerCluster` checks again just before starting.

    Raises:
        ValueError: ``n`` is not a positive integer.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer (the number of workers), got {n!r}.")
    sockets = []
    try:
        for _ in range(n):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOCALHOST, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def check_port_free(port: int) -> None:
    """Raise :class:`PortInUseError` unless ``port`` can be bound on 127.0.0.1.

    Raises:
        ValueError: ``port`` is not an integer between 1 and 65535.
        PortInUseError: something already listens on it; the message says what to do.
    """
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"A port is an integer between 1 and 65535, got {port!r}.")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As gRPC does: a port a finished worker left in TIME_WAIT counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOCALHOST, port))
        except OSError as error:
            raise PortInUseError(
                f"Port {port} on {LOCALHOST} is already in use ({error.strerror}). Another "
                "program, or a worker left over from an earlier run, holds it: pick free ports "
                f"with helpers.distributed.free_ports(), or stop that program (`lsof -i :{port}`)."
            ) from None


def tf_config(ports: Sequence[int], index: int) -> dict[str, Any]:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of workers on 127.0.0.1 ``ports``.

    Example: ``tf_config([12345, 12346], 0)`` ->
    ``{"cluster": {"worker": ["127.0.0.1:12345", "127.0.0.1:12346"]},
    "task": {"type": "worker", "index": 0}}``. Worker 0 is the chief. Put it into the
    worker's environment as JSON: ``env["TF_CONFIG"] = json.dumps(...)``.

    Raises:
        ValueError: no ports, a repeated or invalid port, or ``index`` out of range.
    """
    ports = list(ports)
    if not ports:
        raise ValueError("Need at least one port (one per worker), got none.")
    for port in ports:
        if not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError(f"A port is an integer between 1 and 65535, got {port!r}.")
    if len(set(ports)) != len(ports):
        raise ValueError(f"Each worker needs its own port, got repeats in {ports}.")
    if not isinstance(index, int) or not 0 <= index < len(ports):
        raise ValueError(
            f"index must be between 0 and {len(ports) - 1} for {len(ports)} workers, got {index!r}."
        )
    return {
        "cluster": {"worker": [f"{LOCALHOST}:{port}" for port in ports]},
        "task": {"type": "worker", "index": index},
    }


_LIVE_CLUSTERS: weakref.WeakSet[WorkerCluster] = weakref.WeakSet()


def _stop_all_clusters() -> None:
    for cluster in list(_LIVE_CLUSTERS):
        cluster.stop()


atexit.register(_stop_all_clusters)


class WorkerCluster:
    """Worker processes on 127.0.0.1 that train together, with guaranteed clean-up.

    Example::

        with WorkerCluster(["--data", "d.npz", "--out", "run"], workdir="run") as cluster:
            cluster.start()            # waits until every worker is up
            codes = cluster.wait(300)  # waits until every worker has exited
        print(cluster.log_lines(0))    # worker 0's own log lines

    Args:
        worker_args: command-line arguments for every worker.
        workdir: folder for the workers' logs (``worker-N.log``); created if needed.
        n_workers: number of workers (ignored when ``ports`` is given).
        ports: loopback ports, one per worker; default: :func:`free_ports`.
        command: the program to run; default ``[python, "-m", "helpers.distributed_worker"]``.
        start_timeout: seconds :meth:`start` waits for every worker to print ``READY``.
        env: extra environment variables for the workers.
        hide_gpus: hide GPUs from the workers (two workers sharing one GPU would only
            fight over its memory); the default.

    Raises:
        ValueError: fewer than one worker, a non-positive timeout, or bad ports.
    """

    def __init__(
        self,
        worker_args: Sequence[str],
        workdir: str | os.PathLike[str],
        n_workers: int = 2,
        ports: Sequence[int] | None = None,
        command: Sequence[str] | None = None,
        start_timeout: float = 180.0,
        env: Mapping[str, str] | None = None,
        hide_gpus: bool = True,
    ):
        if ports is None:
            if not isinstance(n_workers, int) or n_workers < 1:
                raise ValueError(f"n_workers must be a positive integer, got {n_workers!r}.")
            ports = free_ports(n_workers)
        if not start_timeout or start_timeout <= 0:
            raise ValueError(f"start_timeout must be a positive number of seconds, got {start_timeout!r}.")
        self.ports = list(ports)
        self.configs = [tf_config(self.ports, i) for i in range(len(self.ports))]  # validates
        self.worker_args = [str(a) for a in worker_args]
        self.workdir = Path(workdir)
        self.command = list(command) if command else [sys.executable, "-m", WORKER_MODULE]
        self.start_timeout = float(start_timeout)
        self.extra_env = dict(env or {})
        self.hide_gpus = hide_gpus
        self.processes: list[subprocess.Popen | None] = [None] * len(self.ports)
        self.starts = [0] * len(self.ports)
        self._log_files: list[Any] = [None] * len(self.ports)
        _LIVE_CLUSTERS.add(self)

    @property
    def n_workers(self) -> int:
        return len(self.ports)

    def log_path(self, index: int) -> Path:
        """Where worker ``index`` writes its output (every start appends to it)."""
        return self.workdir / f"worker-{index}.log"

    @property
    def pids(self) -> list[int | None]:
        """The process id of each worker's latest start (``None``: never started)."""
        return [p.pid if p is not None else None for p in self.processes]

    def running(self, index: int) -> bool:
        """True while worker ``index``'s latest process is alive."""
        process = self.processes[index]
        return process is not None and process.poll() is None

    def _environment(self, index: int) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.extra_env)
        env["TF_CONFIG"] = json.dumps(self.configs[index])
        env["PYTHONUNBUFFERED"] = "1"
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        if self.hide_gpus:
            env["CUDA_VISIBLE_DEVICES"] = ""
        return env

    def start(self, indices: Sequence[int] | None = None) -> None:
        """Start the given workers (default: all) and wait until each prints ``READY``.

        A worker prints ``READY`` once its ``MultiWorkerMirroredStrategy`` exists, which
        happens only when every worker of the cluster has connected.

        Raises:
            ValueError: an index out of range.
            ClusterError: a worker with that index is still running.
            PortInUseError: a worker's port is taken (checked before anything starts).
            WorkerStartError: a worker exited or stayed silent for ``start_timeout``
                seconds; every worker is stopped first, and the message holds the end
                of each worker's log.
        """
        indices = list(range(self.n_workers)) if indices is None else list(indices)
        for index in indices:
            if not isinstance(index, int) or not 0 <= index < self.n_workers:
                raise ValueError(f"Worker index must be between 0 and {self.n_workers - 1}, got {index!r}.")
            if self.running(index):
                raise ClusterError(f"Worker {index} is still running (pid {self.processes[index].pid}).")
        for index in indices:
            check_port_free(self.ports[index])
        self.workdir.mkdir(parents=True, exist_ok=True)
        _LIVE_CLUSTERS.add(self)
        offsets = {}
        for index in indices:
            path = self.log_path(index)
            offsets[index] = path.stat().st_size if path.exists() else 0
            if self._log_files[index] is not None:
                self._log_files[index].close()
            log = self._log_files[index] = open(path, "a", encoding="utf-8")  # noqa: SIM115 (closed in stop)
            self.starts[index] += 1
            log.write(f"--- start {self.starts[index]} of worker {index} ---\n")
            log.flush()
            self.processes[index] = subprocess.Popen(
                [*self.command, *self.worker_args],
                env=self._environment(index),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stop() can end all of it
            )
        deadline = time.monotonic() + self.start_timeout
        waiting = set(indices)
        while waiting:
            for index in sorted(waiting):
                if READY_RE.search(self._read_log(index, offsets[index])):
                    waiting.discard(index)
                elif not self.running(index):
                    code = self.processes[index].returncode
                    self.stop()
                    raise WorkerStartError(
                        f"Worker {index} exited with code {code} before it was up.\n"
                        + self._log_tails()
                    )
            if waiting and time.monotonic() > deadline:
                self.stop()
                raise WorkerStartError(
                    f"Worker(s) {sorted(waiting)} did not report {READY_MARKER!r} within "
                    f"{self.start_timeout:g} s, so every worker was stopped. A worker waits for all "
                    "the others before it is up: check that each one started (logs below), that "
                    "the ports are right, and raise start_timeout on a slow machine.\n"
                    + self._log_tails()
                )
            time.sleep(0.2)

    def _read_log(self, index: int, offset: int = 0) -> str:
        path = self.log_path(index)
        if not path.exists():
            return ""
        with open(path, encoding="utf-8", errors="replace") as f:
            f.seek(offset)
            return f.read()

    def _log_tails(self, lines: int = 15) -> str:
        parts = []
        for index in range(self.n_workers):
            tail = self._read_log(index).splitlines()[-lines:]
            parts.append(f"--- end of worker {index}'s log ---\n" + "\n".join(tail))
        return "\n".join(parts)

    def log(self, index: int) -> str:
        """Everything worker ``index`` printed, over all its starts."""
        return self._read_log(index)

    def log_lines(self, index: int) -> list[str]:
        """The worker's own log lines (those starting with ``[worker``) and start markers."""
        return [
            line for line in self.log(index).splitlines()
            if line.startswith(LOG_PREFIX) or line.startswith("--- start")
        ]

    def wait_for(self, index: int, pattern: str, timeout: float) -> re.Match[str]:
        """Wait until worker ``index``'s log (latest start) matches ``pattern``; return the match.

        Raises:
            WorkerTimeoutError: no match within ``timeout`` seconds, or the worker exited
                without printing it. The workers keep running; call :meth:`stop`.
        """
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            text = self._read_log(index).rsplit("--- start", 1)[-1]
            match = regex.search(text)
            if match:
                return match
            if not self.running(index):
                raise WorkerTimeoutError(
                    f"Worker {index} exited before printing {pattern!r}.\n" + self._log_tails()
                )
            if time.monotonic() > deadline:
                raise WorkerTimeoutError(
                    f"Worker {index} did not print {pattern!r} within {timeout:g} s.\n" + self._log_tails()
                )
            time.sleep(0.2)

    def kill(self, index: int) -> int:
        """Kill worker ``index`` at once (``SIGKILL`` to its process id), as a crash would; return the pid.

        Raises:
            ClusterError: the worker is not running.
        """
        if not self.running(index):
            raise ClusterError(f"Worker {index} is not running, so there is nothing to kill.")
        process = self.processes[index]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        return process.pid

    def wait(self, timeout: float, indices: Sequence[int] | None = None) -> list[int]:
        """Wait until the given workers (default: all) exit; return their exit codes.

        Raises:
            WorkerTimeoutError: still running after ``timeout`` seconds; every worker is
                stopped first, and the message holds the end of each log.
        """
        indices = list(range(self.n_workers)) if indices is None else list(indices)
        deadline = time.monotonic() + timeout
        codes = []
        for index in indices:
            process = self.processes[index]
            if process is None:
                raise ClusterError(f"Worker {index} was never started.")
            try:
                codes.append(process.wait(timeout=max(0.0, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                self.stop()
                raise WorkerTimeoutError(
                    f"Worker {index} was still running after {timeout:g} s, so every worker was "
                    "stopped.\n" + self._log_tails()
                ) from None
        return codes

    def stop(self, grace: float = 5.0) -> None:
        """Stop every worker still running (``SIGTERM``, then ``SIGKILL`` after ``grace`` s).

        Safe to call more than once; the ``with`` block and interpreter exit call it too.
        """
        for process in self.processes:
            if process is not None and process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace
        for process in self.processes:
            if process is None:
                continue
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=30)
        for i, log in enumerate(self._log_files):
            if log is not None:
                log.close()
                self._log_files[i] = None
        _LIVE_CLUSTERS.discard(self)

    def __enter__(self) -> WorkerCluster:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def split_cpu(n_devices: int = 2) -> list[Any]:
    """Split the first physical CPU into ``n_devices`` logical devices; return them.

    ``tf.distribute.MirroredStrategy`` then sees ``n_devices`` CPU devices and keeps one
    replica of the model on each, as it would on ``n_devices`` GPUs. The devices share
    the same cores, so this shows the mechanics, not a speed-up.

    Must run before TensorFlow initialises its devices (before the first tensor is
    created). Calling it again with the same number does nothing.

    Raises:
        ValueError: ``n_devices`` is not a positive integer.
        RuntimeError: TensorFlow's devices are already initialised with another split;
            the message says to restart the kernel and run this first.
    """
    import tensorflow as tf

    if not isinstance(n_devices, int) or n_devices < 1:
        raise ValueError(f"n_devices must be a positive integer, got {n_devices!r}.")
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(n_devices)]
        )
    except RuntimeError:
        existing = tf.config.list_logical_devices("CPU")
        if len(existing) == n_devices:
            return existing
        raise RuntimeError(
            f"TensorFlow already set up {len(existing)} CPU device(s), and the split into "
            f"{n_devices} must happen before the first tensor is created. Restart the kernel "
            "and run the notebook from the top (the split comes right after the parameters)."
        ) from None
    return tf.config.list_logical_devices("CPU")
