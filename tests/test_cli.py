"""The command line: what it writes, and every bad input a user can plausibly type or leave on disk —
one line on stderr, exit status 2, no traceback, nothing that existed touched."""

import hashlib
import json
import os
import subprocess
import sys

import imageio.v3 as iio
import numpy as np
import pytest

from helpers import one_error_line, run_in_new_python, write_idx

from ganlib import quiet


def snapshot(folder):
    """Every file under ``folder`` with its content hash: to show that a refused command touched nothing."""
    return {str(p.relative_to(folder)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory, mnist_folder):
    """A trained tiny dcgan run and cgan run, made once for the tests that sample from them."""
    from ganlib import cli

    root = tmp_path_factory.mktemp("cli")
    for model in ("dcgan", "cgan"):
        status = cli.main(["train", model, "--data-dir", str(mnist_folder), "--epochs", "1", "--batch-size", "32",
                           "--set", "width=8", "--out", str(root / model)])
        assert status == 0
    return root


def test_train_writes_a_run_and_the_same_command_resumes_it(cli, tmp_path, mnist_folder):
    run = tmp_path / "run"
    status, out, err = cli("train", "dcgan", "--data-dir", mnist_folder, "--epochs", "1", "--batch-size", "32",
                           "--set", "width=8", "--out", run)
    assert status == 0, err
    assert "mnist train split: 128 images from" in out and str(mnist_folder) in out
    assert (run / "grids" / "epoch_0001.png").is_file() and (run / "training.gif").is_file()
    status, out, err = cli("train", "dcgan", "--data-dir", mnist_folder, "--epochs", "2", "--batch-size", "32",
                           "--set", "width=8", "--out", run)
    assert status == 0, err
    assert "Resumed" in out and "epoch 2/2" in err + out


def test_settings_reach_the_builders(cli, tmp_path, mnist_folder):
    status, _, err = cli("train", "gan", "--data-dir", mnist_folder, "--epochs", "1", "--batch-size", "32",
                         "--set", "dropout=0.0", "--out", tmp_path / "gan")
    assert status == 0, err
    from ganlib import train

    gan = train.load_gan(tmp_path / "gan")
    assert gan.config["dropout"] == 0.0
    assert {layer.rate for layer in gan.discriminator.layers if hasattr(layer, "rate")} == {0.0}


@pytest.mark.parametrize("name", ["s.npy", "s.png", "s.gif"])
def test_sample_writes_each_format(cli, runs_root, tmp_path, name):
    out = tmp_path / name
    status, _, err = cli("sample", runs_root / "dcgan", "--n", "6", "--out", out, "--seed", "3")
    assert status == 0, err
    if name.endswith(".npy"):
        images = np.load(out)
        assert images.shape == (6, 28, 28, 1) and images.dtype == np.float32
        assert images.min() >= -1 and images.max() <= 1
        cli("sample", runs_root / "dcgan", "--n", "6", "--out", out, "--seed", "3", "--force")
        np.testing.assert_array_equal(np.load(out), images)  # --seed makes it repeatable
    else:
        frames = iio.imread(out, index=None)
        assert frames.ndim >= 2 and (name.endswith(".png") or len(frames) > 1)


def test_a_large_npy_is_written_in_batches_equal_to_a_small_request(cli, runs_root, tmp_path):
    from ganlib import gan as gan_module

    status, _, err = cli("sample", runs_root / "dcgan", "--n", str(gan_module.SAMPLE_BATCH + 7), "--seed", "1",
                         "--out", tmp_path / "many.npy")
    assert status == 0, err
    cli("sample", runs_root / "dcgan", "--n", "5", "--seed", "1", "--out", tmp_path / "few.npy")
    many, few = np.load(tmp_path / "many.npy"), np.load(tmp_path / "few.npy")
    assert many.shape[0] == gan_module.SAMPLE_BATCH + 7
    np.testing.assert_array_equal(many[:5], few)  # the first latents of a request do not depend on its size


def test_sample_label_writes_n_images_of_that_class(cli, runs_root, tmp_path):
    status, out, err = cli("sample", runs_root / "cgan", "--label", "7", "--n", "5", "--out", tmp_path / "7.npy",
                           "--seed", "1")
    assert status == 0, err
    assert "5 samples of class 7" in out
    sevens = np.load(tmp_path / "7.npy")
    assert sevens.shape == (5, 28, 28, 1)
    cli("sample", runs_root / "cgan", "--label", "3", "--n", "5", "--out", tmp_path / "3.npy", "--seed", "1")
    assert not np.allclose(sevens, np.load(tmp_path / "3.npy"))  # same seed, another class


def test_a_conditional_run_samples_a_class_grid_upscaled_and_a_class_morph(cli, runs_root, tmp_path):
    status, out, err = cli("sample", runs_root / "cgan", "--n", "3", "--size", "56", "--out", tmp_path / "grid.png")
    assert status == 0, err
    assert "30 samples (3 per class" in out
    assert iio.imread(tmp_path / "grid.png").shape[:2] == (10 * 58 + 2, 3 * 58 + 2)  # 56-pixel images, 2-pixel gaps
    status, _, err = cli("sample", runs_root / "cgan", "--n", "2", "--out", tmp_path / "morph.gif")
    assert status == 0, err
    assert len(iio.imread(tmp_path / "morph.gif", index=None)) == 10 * 12  # 12 frames from each class to the next


def _bad_inputs(runs_root, tmp_path, data):
    """(arguments, what the one error line must say) for every bad input below; paths made in tmp_path."""
    (tmp_path / "a_file.txt").write_text("notes")
    (tmp_path / "not_a_run").mkdir()
    (tmp_path / "not_a_run" / "keep.txt").write_text("mine")
    (tmp_path / "not_json").mkdir()
    (tmp_path / "not_json" / "config.json").write_text("{broken")
    (tmp_path / "unknown_model").mkdir()
    (tmp_path / "unknown_model" / "config.json").write_text(json.dumps({"model": "biggan"}))
    (tmp_path / "no_checkpoint").mkdir()
    (tmp_path / "no_checkpoint" / "config.json").write_text((runs_root / "dcgan" / "config.json").read_text())
    (tmp_path / "existing.png").write_bytes(b"precious")
    (tmp_path / "a_folder.png").mkdir()
    write_idx(tmp_path / "corrupt" / "mnist" / "train-images-idx3-ubyte.gz", np.zeros((6, 28, 28)), truncate=100)
    write_idx(tmp_path / "corrupt" / "mnist" / "train-labels-idx1-ubyte.gz", np.zeros(6))
    dcgan, cgan = runs_root / "dcgan", runs_root / "cgan"
    train = ["train", "dcgan", "--data-dir", data, "--epochs", "1"]
    return [
        ([], "required: command"),
        (["train"], "required: model"),
        (["train", "wgan_pg"], "invalid choice: 'wgan_pg'"),
        (train + ["--epochs", "0"], "--epochs: 0 must be at least 1"),
        (train + ["--epochs", "ten"], "'ten' is not a whole number"),
        (train + ["--max-minutes", "-5"], "--max-minutes: -5 must be a number greater than 0"),
        (train + ["--max-minutes", "nan"], "nan must be a number greater than 0"),
        (train + ["--seed", "-1"], "--seed: -1 must be at least 0"),
        (train + ["--seed", "99999999999"], "too large for a seed"),
        (train + ["--seed", "1.5"], "is not a seed"),
        (train + ["--set", "width"], "is not KEY=VALUE"),
        (train + ["--set", "widht=3"], "dcgan has no setting widht"),
        (train + ["--set", "width=2.5"], "setting width must be a int"),
        (train + ["--set", "loss=hinge"], "loss='hinge' is not one of"),
        (train + ["--set", "learning_rate=0"], "it must be between 0 and 1"),
        (train + ["--precision", "float8"], "invalid choice: 'float8'"),
        (train + ["--steps-per-call", "0"], "must be at least 1"),
        (train + ["--batch-size", "200"], "128 images cannot fill 1 batch(es) of 200"),
        (train + ["--out", tmp_path / "a_file.txt"], "is a file, not a run directory"),
        (train + ["--out", tmp_path / "a_file.txt" / "run"], "cannot write to"),
        (train + ["--out", tmp_path / "not_a_run"], "is not empty and is not a ganlib run"),
        (train + ["--out", tmp_path / "not_json"], "is not readable JSON"),
        (train + ["--out", tmp_path / "unknown_model"], "names model 'biggan', which this ganlib does not know"),
        (["train", "gan", "--data-dir", data, "--out", dcgan], "holds a different run (model: 'dcgan' there"),
        (["train", "dcgan", "--data-dir", tmp_path / "missing"], "does not exist"),
        (["train", "dcgan", "--data-dir", tmp_path / "not_a_run"], "mnist not found"),
        (["train", "dcgan", "--data-dir", tmp_path / "corrupt"], "truncated or corrupt"),
        (["sample", dcgan, "--out", tmp_path / "x.jpg"], "unknown format .jpg"),
        (["sample", dcgan, "--out", tmp_path / "existing.png"], "already exists"),
        (["sample", dcgan, "--out", tmp_path / "a_folder.png", "--force"], "is a directory"),
        (["sample", tmp_path / "missing", "--out", tmp_path / "x.png"], "is not a directory"),
        (["sample", tmp_path / "not_a_run", "--out", tmp_path / "x.png"], "is not a training run"),
        (["sample", tmp_path / "no_checkpoint", "--out", tmp_path / "x.png"], "has no checkpoint yet"),
        (["sample", tmp_path / "not_json", "--out", tmp_path / "x.png"], "is not readable JSON"),
        (["sample", dcgan, "--out", tmp_path / "no" / "x.png"], "does not exist; create it first"),
        (["sample", dcgan, "--n", "100000000", "--out", tmp_path / "x.npy"], "the .npy would take"),
        (["sample", dcgan, "--n", "100000000", "--out", tmp_path / "x.png"], "of memory"),
        (["sample", dcgan, "--n", "-1", "--out", tmp_path / "x.png"], "--n: -1 must be at least 1"),
        (["sample", dcgan, "--label", "3", "--out", tmp_path / "x.png"], "not conditional"),
        (["sample", dcgan, "--psi", "0.5", "--out", tmp_path / "x.png"], "needs a `python -m ganlib train style`"),
        (["sample", dcgan, "--psi", "nan", "--out", tmp_path / "x.png"], "not a finite number"),
        (["sample", cgan, "--label", "10", "--out", tmp_path / "x.png"], "knows classes 0 to 9"),
        (["sample", cgan, "--label", "three", "--out", tmp_path / "x.png"], "'three' is not a class label"),
        (["sample", cgan, "--label", "-1", "--out", tmp_path / "x.png"], "labels start at 0"),
        (["sample", dcgan, "--size", "10", "--out", tmp_path / "x.png"], "smaller than the 28-pixel images"),
        (["sample", dcgan, "--size", "64", "--out", tmp_path / "x.npy"], "use it with a .png or .gif"),
        (["sample", dcgan], "required: --out"),
        (["evaluate", tmp_path / "missing"], "is not a directory"),
        (["evaluate", dcgan, "--n", "0"], "--n: 0 must be at least 1"),
    ]


def test_every_bad_input_is_one_line_exit_2_and_touches_nothing(cli, runs_root, tmp_path, mnist_folder):
    cases = _bad_inputs(runs_root, tmp_path, mnist_folder)
    assert len(cases) >= 20
    before = {folder: snapshot(folder) for folder in (tmp_path, runs_root)}
    for args, says in cases:
        status, out, err = cli(*args)
        assert status == 2, (args, out, err)
        line = one_error_line(err)
        assert says in line, (args, line)
        assert "Traceback" not in err + out
    assert {folder: snapshot(folder) for folder in (tmp_path, runs_root)} == before


def test_a_corrupt_run_is_one_line_too(cli, runs_root, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(runs_root / "dcgan", broken)
    for f in (broken / "checkpoints").glob("ckpt-*"):
        f.write_bytes(b"\0" * 10)
    before = snapshot(broken)
    status, _, err = cli("sample", broken, "--out", tmp_path / "x.png")
    assert status == 2 and "can be restored" in one_error_line(err)
    assert snapshot(broken) == before and not (tmp_path / "x.png").exists()


def test_from_the_shell_exit_2_one_line_and_no_tensorflow_chatter(tmp_path):
    status, out, err = run_in_new_python("train", "dcgan", "--epochs", "0")
    assert status == 2 and "--epochs: 0 must be at least 1" in one_error_line(err)
    assert "cuInit" not in err and "absl" not in err and out == ""


@pytest.mark.parametrize("model", ["dcgan", "style"])
def test_training_a_default_model_prints_no_tensorflow_log_lines(tmp_path, mnist_folder, model):
    # The first train step's graph optimisation logs a harmless C++ "remapper failed" error for the deeper DCGAN
    # discriminator and for the style generator; a learner's terminal must not show it (quiet.filtered_stderr), nor
    # any other C++ log line.
    status, out, err = run_in_new_python("train", model, "--data-dir", mnist_folder, "--epochs", "1",
                                         "--batch-size", "32", "--out", tmp_path / "run")
    assert status == 0, err[-3000:]
    assert not [line for line in err.splitlines() if quiet.CHATTER.match(line.strip("\r"))], err[-3000:]
    assert "remapper" not in err and "E0000" not in err


def test_a_notebook_style_import_sets_tensorflows_log_level_before_tensorflow_loads():
    # A notebook imports `from ganlib import models` before notebook.setup(): the package itself must set
    # TF_CPP_MIN_LOG_LEVEL, or TensorFlow's C++ warnings (a multi-line "Type inference failed" per growing
    # style graph) reach the learner.
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    code = "import os, sys; from ganlib import models; print(os.environ['TF_CPP_MIN_LOG_LEVEL'], 'tensorflow' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2", "True"]
