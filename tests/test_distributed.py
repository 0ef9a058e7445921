"""Multi-worker helpers: ports, TF_CONFIG, worker processes, failure and clean-up.

The two tests marked "real workers" start TensorFlow worker processes on loopback ports
and train a tiny model (about 15 s each on a 2-core CPU); the others use stand-in
processes and take well under a second each.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time

import numpy as np
import pytest

from helpers import distributed
from helpers.distributed import (
    PortInUseError,
    WorkerCluster,
    WorkerStartError,
    WorkerTimeoutError,
    check_port_free,
    free_ports,
    tf_config,
)

PYTHON = sys.executable


def _gone(pid: int) -> bool:
    """True when no process with this id exists any more (it was also reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


# --- ports and TF_CONFIG -------------------------------------------------------------


def test_free_ports_are_distinct_and_bindable():
    ports = free_ports(3)
    assert len(set(ports)) == 3
    for port in ports:
        check_port_free(port)


def test_free_ports_rejects_bad_count():
    with pytest.raises(ValueError, match="positive integer"):
        free_ports(0)


def test_check_port_free_names_a_busy_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        message = rf"Port {port} on 127\.0\.0\.1 is already in use.*free_ports"
        with pytest.raises(PortInUseError, match=message):
            check_port_free(port)
    with pytest.raises(ValueError, match="between 1 and 65535"):
        check_port_free(70000)


def test_tf_config_layout():
    config = tf_config([5001, 5002], 1)
    assert config == {
        "cluster": {"worker": ["127.0.0.1:5001", "127.0.0.1:5002"]},
        "task": {"type": "worker", "index": 1},
    }
    assert json.loads(json.dumps(config)) == config


@pytest.mark.parametrize(
    ("ports", "index", "message"),
    [
        ([], 0, "at least one port"),
        ([5001, 5001], 0, "its own port"),
        ([5001, 0], 0, "between 1 and 65535"),
        ([5001, 5002], 2, "index must be between 0 and 1"),
    ],
)
def test_tf_config_rejects_bad_input(ports, index, message):
    with pytest.raises(ValueError, match=message):
        tf_config(ports, index)


def test_cluster_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="n_workers must be a positive integer"):
        WorkerCluster([], tmp_path, n_workers=0)
    with pytest.raises(ValueError, match="start_timeout must be a positive"):
        WorkerCluster([], tmp_path, start_timeout=0)
    with pytest.raises(ValueError, match="its own port"):
        WorkerCluster([], tmp_path, ports=[5001, 5001])


# --- start-up failures and clean-up, with stand-in processes --------------------------


def test_port_in_use_fails_at_once_and_starts_nothing(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        cluster = WorkerCluster([], tmp_path, ports=[free_ports(1)[0], busy], start_timeout=30)
        began = time.monotonic()
        with pytest.raises(PortInUseError, match=f"Port {busy} on 127.0.0.1 is already in use"):
            cluster.start()
        assert time.monotonic() - began < 5
        assert cluster.pids == [None, None]


def test_worker_that_never_starts_is_stopped_within_the_timeout(tmp_path):
    silent = [PYTHON, "-c", "import time; time.sleep(120)"]  # never prints READY
    cluster = WorkerCluster([], tmp_path, command=silent, start_timeout=1)
    began = time.monotonic()
    message = r"did not report 'READY' within 1 s, so every worker was stopped"
    with pytest.raises(WorkerStartError, match=message):
        cluster.start()
    assert time.monotonic() - began < 15
    assert all(_gone(pid) for pid in cluster.pids)


def test_worker_that_exits_early_is_reported_with_its_log(tmp_path):
    crashing = [PYTHON, "-c", "import sys; print('no such data file'); sys.exit(3)"]
    with WorkerCluster([], tmp_path, command=crashing, start_timeout=30) as cluster:
        message = r"(?s)exited with code 3 before it was up.*no such data file"
        with pytest.raises(WorkerStartError, match=message):
            cluster.start()
    assert all(_gone(pid) for pid in cluster.pids)


def test_with_block_stops_workers_after_an_error(tmp_path):
    ready_then_hang = [PYTHON, "-c", "import json, os, time; i = json.loads(os.environ['TF_CONFIG'])"
                       "['task']['index']; print(f'[worker {i}] READY', flush=True); time.sleep(120)"]
    with pytest.raises(RuntimeError, match="a cell failed"):
        with WorkerCluster([], tmp_path, command=ready_then_hang, start_timeout=30) as cluster:
            cluster.start()
            pids = cluster.pids
            assert all(cluster.running(i) for i in range(2))
            raise RuntimeError("a cell failed")
    assert all(_gone(pid) for pid in pids)
    assert cluster.log_lines(1) == ["--- start 1 of worker 1 ---", "[worker 1] READY"]


def test_wait_times_out_and_stops_every_worker(tmp_path):
    ready_then_hang = [PYTHON, "-c", "import json, os, time; i = json.loads(os.environ['TF_CONFIG'])"
                       "['task']['index']; print(f'[worker {i}] READY', flush=True); time.sleep(120)"]
    cluster = WorkerCluster([], tmp_path, command=ready_then_hang, start_timeout=30)
    cluster.start()
    with pytest.raises(WorkerTimeoutError, match=r"still running after 0\.5 s, so every worker was stopped"):
        cluster.wait(0.5)
    assert all(_gone(pid) for pid in cluster.pids)
    with pytest.raises(distributed.ClusterError, match="not running"):
        cluster.kill(0)


# --- real workers: TensorFlow processes on loopback ports ------------------------------


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """A learnable two-class image problem: is the top half brighter than the bottom?"""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(640, 28, 28), dtype=np.uint8)
    y = (x[:, :14].mean(axis=(1, 2)) > x[:, 14:].mean(axis=(1, 2))).astype(np.uint8)
    path = tmp_path_factory.mktemp("data") / "tiny.npz"
    np.savez(path, x_train=x[:512], y_train=y[:512], x_val=x[512:], y_val=y[512:])
    return path


def _weights(run_dir, index):
    with np.load(run_dir / f"worker-{index}.weights.npz") as arrays:
        return [arrays[k] for k in sorted(arrays.files, key=lambda k: int(k.split("_")[-1]))]


def _assert_workers_agree(run_dir):
    first, second = _weights(run_dir, 0), _weights(run_dir, 1)
    assert [w.shape for w in first] == [(784, 8), (8,), (8, 2), (2,)]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_two_workers_train_together_and_a_killed_one_resumes_from_its_backup(tiny_data, tmp_path):
    # One cluster for both facts: starting worker processes (each imports TensorFlow) is the
    # cost of these tests, so the run that survives a kill also proves that two workers train
    # one model together (same loss at every step, same final weights, one saved model).
    args = ["--data", tiny_data, "--out", tmp_path, "--epochs", "3", "--steps-per-epoch", "8",
            "--batch-size", "32", "--hidden", "8", "--log-every", "1", "--backup", "--step-delay", "0.1"]
    with WorkerCluster(args, tmp_path, start_timeout=120) as cluster:
        cluster.start()
        cluster.wait_for(1, r"epoch 2 step 2 ", timeout=120)  # epoch 1 is backed up by now
        killed = cluster.kill(1)
        assert _gone(killed)
        epoch, step = map(int, (tmp_path / "progress-1.txt").read_text().split())
        assert (epoch, step) >= (2, 2)
        # Its partner loses the connection and stops with an error of its own.
        assert cluster.wait(60, [0]) != [0]
        cluster.start()
        assert cluster.wait(120) == [0, 0]
        assert cluster.starts == [2, 2]
    for index in range(2):
        lines = cluster.log_lines(index)
        restarted = lines[lines.index(f"--- start 2 of worker {index} ---"):]
        assert f"[worker {index}] training starts at epoch 2" in restarted
        result = json.loads((tmp_path / f"worker-{index}.json").read_text())
        assert (result["first_epoch"], result["epochs_run"]) == (2, 2)
    _assert_workers_agree(tmp_path)
    results = [json.loads((tmp_path / f"worker-{i}.json").read_text()) for i in range(2)]
    assert [r["saved_model"] for r in results] == [True, False]
    assert [r["replicas"] for r in results] == [2, 2]
    assert (tmp_path / "model.keras").is_file()
    # After the restart, both workers logged the same (globally averaged) loss at every step.
    losses = [[line.split("loss ")[1] for line in cluster.log_lines(i)[cluster.log_lines(i).index(
        f"--- start 2 of worker {i} ---"):] if " step " in line] for i in range(2)]
    assert len(losses[0]) == 16 and losses[0] == losses[1]
    assert not (tmp_path / "backup" / "worker-0").exists()  # removed once training finished


# --- the worker module's model, data and timer (in this process) -----------------------


def test_build_classifier_and_make_dataset():
    from helpers.distributed_worker import build_classifier, make_dataset

    model = build_classifier((28, 28), 10, hidden=128)
    assert model.output_shape == (None, 10)
    assert model.count_params() == 784 * 128 + 128 + 128 * 10 + 10
    x = np.zeros((10, 28, 28), dtype=np.uint8)
    y = np.arange(10, dtype=np.uint8)
    batches = list(make_dataset(x, y, 4, shuffle_seed=0))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate([b[1].numpy() for b in batches]).tolist()) == list(range(10))
    with pytest.raises(ValueError, match="hidden >= 1"):
        build_classifier(hidden=0)
    with pytest.raises(ValueError, match="global_batch_size must be at least 1"):
        make_dataset(x, y, 0)


def test_epoch_timer_leaves_out_the_first_epoch():
    from helpers.distributed_worker import EpochTimer

    timer = EpochTimer()
    with pytest.raises(ValueError, match="No epoch was timed"):
        timer.examples_per_second(1000)
    timer.seconds = [9.0, 2.0, 2.5, 2.0]  # the first epoch also traced the step
    assert timer.examples_per_second(1000) == 500
    assert timer.throughputs(1000).tolist() == [500.0, 400.0, 500.0]
    timer.seconds = [4.0]  # one epoch: nothing else to go by
    assert timer.examples_per_second(1000) == 250
    with pytest.raises(ValueError, match="examples_per_epoch must be positive"):
        timer.examples_per_second(0)


def test_split_cpu_rejects_bad_counts():
    with pytest.raises(ValueError, match="n_devices must be a positive integer"):
        distributed.split_cpu(0)
