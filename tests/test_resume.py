"""Exact resume across processes: a run stopped anywhere and resumed with the same command ends bitwise equal to
one done in one go, and a run killed with SIGKILL at random instants can always be resumed and sampled."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from helpers import REPO

MODELS = {  # small settings, 8 steps an epoch at batch 16 on 128 images (4 for the 2-batch critic loop)
    "dcgan": ["--set", "width=8"],
    "wgan_gp": ["--set", "width=8", "--set", "n_critic=2"],  # two batches a step (the default takes one)
    "style": ["--set", "width=8", "--set", "w_dim=16", "--set", "mixing_prob=0.5"],
    "cgan": ["--set", "width=8", "--set", "ema=0.99"],
}
FIRST_SESSION = {"dcgan": 3, "wgan_gp": 4, "style": 8, "cgan": 5}  # steps: mid-epoch, or an epoch's end
EPOCHS = 2


def in_new_python(commands):
    """Run several `python -m ganlib` commands one after another in ONE fresh Python (start-up paid once)."""
    code = ("import json, sys\nfrom ganlib import cli\n"
            "sys.exit(max(cli.main(argv) for argv in json.loads(sys.argv[1])))")
    done = subprocess.run([sys.executable, "-c", code, json.dumps([[str(a) for a in c] for c in commands])],
                          capture_output=True, text=True, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]


def train_command(model, data, out, *more):
    return ["train", model, "--data-dir", data, "--batch-size", "16", "--epochs", EPOCHS,
            "--out", out, *MODELS[model], *more]


def run_state(run_dir):
    """Everything exact resume promises: weights and optimizer slots (the checkpoint), history, grids."""
    from ganlib import train

    gan = train.load_gan(run_dir)
    variables = gan.checkpoint_variables() + list(gan.g_optimizer.variables) + list(gan.d_optimizer.variables)
    history = json.loads((run_dir / "history.json").read_text())["steps"]
    grids = {p.name: p.read_bytes() for p in sorted((run_dir / "grids").iterdir())}
    return int(gan.step.numpy()), [np.asarray(v) for v in variables], history, grids


@pytest.mark.end_to_end
def test_stopped_mid_epoch_and_at_an_epoch_boundary_then_resumed_equals_straight(tmp_path, mnist_folder):
    straight = {m: tmp_path / f"{m}-straight" for m in MODELS}
    split = {m: tmp_path / f"{m}-split" for m in MODELS}
    from ganlib import cli

    for m in MODELS:  # the straight runs in this process
        assert cli.main([str(a) for a in train_command(m, mnist_folder, straight[m])]) == 0
    # two sessions, each a new process: the first stops mid-epoch (dcgan, cgan) or at an epoch's end (wgan_gp,
    # style), the second resumes and finishes
    in_new_python([train_command(m, mnist_folder, split[m], "--max-steps", FIRST_SESSION[m]) for m in MODELS])
    in_new_python([train_command(m, mnist_folder, split[m]) for m in MODELS])
    for model in MODELS:
        step, variables, history, grids = run_state(straight[model])
        step_b, variables_b, history_b, grids_b = run_state(split[model])
        assert step == step_b == EPOCHS * (4 if model == "wgan_gp" else 8)
        for a, b in zip(variables, variables_b):
            np.testing.assert_array_equal(a, b, err_msg=model)
        assert history == history_b, model
        assert grids == grids_b, model


@pytest.mark.end_to_end
def test_kill_minus_9_at_random_instants_always_leaves_a_run_that_resumes(tmp_path, mnist_folder, cli):
    """SIGKILL a run again and again, some kills landing while a checkpoint is written (it checkpoints
    continually): each time the run restores, samples, and its step history has no gap and no duplicate."""
    run = tmp_path / "run"
    command = [sys.executable, "-m", "ganlib", *map(str, train_command("dcgan", mnist_folder, run)),
               "--epochs", "40", "--checkpoint-minutes", "0.0001"]
    rng = np.random.default_rng(0)
    from ganlib import runs

    restored_steps = []
    for attempt in range(5):
        saved = (run / "history.json").stat().st_mtime_ns if (run / "history.json").exists() else None
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if attempt == 0:  # during start-up, before anything is saved
            time.sleep(rng.uniform(1.0, 3.0))
        else:  # once this session is training and saving, at a random instant (saves follow each other closely)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and process.poll() is None and (
                    not (run / "history.json").exists() or (run / "history.json").stat().st_mtime_ns == saved):
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 1.5))
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        if not (run / "checkpoints").is_dir():
            continue
        gan = runs.load_gan(run)
        step = int(gan.step.numpy())
        history = runs.History.load(run / "history.json", up_to_step=step)
        assert history.steps["step"] == list(range(1, step + 1)), attempt
        status, _, err = cli("sample", run, "--n", "4", "--out", tmp_path / f"s{attempt}.npy")
        assert status == 0, err
        assert np.all(np.isfinite(np.load(tmp_path / f"s{attempt}.npy")))
        restored_steps.append(step)
    assert len(restored_steps) >= 4 and restored_steps == sorted(restored_steps) and restored_steps[0] > 0
    leftovers = [p.name for p in run.rglob("*") if "_temp" in p.name or p.name.endswith(".tmp")]
    status, _, err = cli(*train_command("dcgan", mnist_folder, run), "--max-steps", "1")
    assert status == 0, err  # and the next session cleans what a kill left half-written
    assert not [p.name for p in run.rglob("*") if "_temp" in p.name], leftovers
