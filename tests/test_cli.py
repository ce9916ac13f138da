import subprocess
import sys

import numpy as np
import pytest

from ganlib import cli, data

from test_data import write_split


def run_cli(*args):
    """Run `python -m ganlib ARGS` as a learner would; returns (status, stdout, stderr)."""
    done = subprocess.run([sys.executable, "-m", "ganlib", *map(str, args)], capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr


def one_error_line(stderr):
    lines = [line for line in stderr.splitlines() if line.startswith("ganlib: error:")]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("args, says", [
    ([], "required: command"),
    (["train"], "required: model"),
    (["train", "wgan"], "invalid choice: 'wgan'"),  # the model is wgan_gp
    (["train", "dcgan", "--epochs", "0"], "--epochs: 0 must be at least 1"),
    (["train", "dcgan", "--epochs", "ten"], "'ten' is not a whole number"),
    (["train", "dcgan", "--max-minutes", "-5"], "--max-minutes: -5 must be greater than 0"),
    (["sample", "runs/x", "--out", "a.png", "--n", "-1"], "--n: -1 must be at least 1"),
    (["sample", "runs/x"], "required: --out"),
    (["sample", "runs/x", "--out", "a.png", "--label", "three"], "'three' is not a class label"),
    (["sample", "runs/x", "--out", "a.png", "--label", "2.5"], "'2.5' is not a class label"),
    (["sample", "runs/x", "--out", "a.png", "--label", "-1"], "labels start at 0"),
    (["sample", "runs/x", "--out", "a.png", "--size", "10"], "smaller than the 28-pixel images"),
])
def test_bad_arguments_exit_2_with_one_line(capsys, args, says):
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and says in err


def test_exit_status_is_2_from_the_shell():
    status, _, stderr = run_cli("train", "dcgan", "--epochs", "0")
    assert status == 2 and one_error_line(stderr)


def test_sample_refuses_bad_output_and_missing_run(tmp_path, capsys):
    existing = tmp_path / "mine.png"
    existing.write_bytes(b"precious")
    for args, says in [
        ([tmp_path, "--out", tmp_path / "x.jpg"], "unknown format .jpg"),
        ([tmp_path, "--out", existing], "already exists"),
        ([tmp_path / "nope", "--out", tmp_path / "x.png"], "is not a directory"),
        ([tmp_path, "--out", tmp_path / "x.png"], "is not a training run"),
        ([tmp_path, "--out", tmp_path / "no" / "x.png"], "does not exist"),
    ]:
        assert cli.main(["sample", *map(str, args)]) == 2
        assert says in capsys.readouterr().err
    assert existing.read_bytes() == b"precious"


def test_missing_data_is_one_line_and_status_2(tmp_path, capsys):
    assert cli.main(["train", "dcgan", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "mnist not found" in err


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    write_split(root / "data" / "mnist", "train", n=128)
    status, out, err = run_cli("train", "dcgan", "--data-dir", root / "data", "--epochs", "1",
                               "--batch-size", "32", "--out", root / "run")
    assert status == 0, err
    assert "mnist train split: 128 images" in out
    return root


def test_train_writes_a_run_and_resumes_it(trained_run):
    run = trained_run / "run"
    assert (run / "grids" / "epoch_0001.png").is_file() and (run / "training.gif").is_file()
    status, out, err = run_cli("train", "dcgan", "--data-dir", trained_run / "data", "--epochs", "2",
                               "--batch-size", "32", "--out", run)
    assert status == 0, err
    assert "Resumed" in out and "epoch 2/2" in out


def test_train_refuses_a_run_of_another_model(trained_run):
    status, _, stderr = run_cli("train", "gan", "--data-dir", trained_run / "data", "--out", trained_run / "run")
    assert status == 2 and "holds a different run" in one_error_line(stderr)


@pytest.mark.parametrize("name", ["s.npy", "s.png", "s.gif"])
def test_sample_writes_each_format(trained_run, name):
    out = trained_run / name
    status, _, err = run_cli("sample", trained_run / "run", "--n", "6", "--out", out, "--seed", "3")
    assert status == 0, err
    if name.endswith(".npy"):
        images = np.load(out)
        assert images.shape == (6, 28, 28, 1) and images.dtype == np.float32
        assert images.min() >= -1 and images.max() <= 1
        # --seed makes it repeatable
        run_cli("sample", trained_run / "run", "--n", "6", "--out", out, "--seed", "3", "--force")
        np.testing.assert_array_equal(np.load(out), images)
    else:
        import imageio.v3 as iio
        frames = iio.imread(out, index=None)
        assert frames.ndim >= 2 and (name.endswith(".png") or len(frames) > 1)


@pytest.mark.parametrize("model", ["wgan_gp", "lsgan"])
def test_chapter_03_models_train_and_sample_from_the_cli(trained_run, model):
    out = trained_run / model
    status, stdout, err = run_cli("train", model, "--data-dir", trained_run / "data", "--epochs", "1",
                                  "--batch-size", "16", "--out", out)
    assert status == 0, err
    assert "epoch 1/1" in stdout and (out / "grids" / "epoch_0001.png").is_file()
    status, _, err = run_cli("sample", out, "--n", "4", "--out", trained_run / f"{model}.npy")
    assert status == 0, err
    assert np.load(trained_run / f"{model}.npy").shape == (4, 28, 28, 1)


@pytest.fixture(scope="module")
def cgan_run(trained_run):
    out = trained_run / "cgan"
    status, stdout, err = run_cli("train", "cgan", "--data-dir", trained_run / "data", "--epochs", "1",
                                  "--batch-size", "16", "--out", out)
    assert status == 0, err
    return out


def test_sample_label_writes_n_images_of_that_class(cgan_run, tmp_path):
    status, stdout, err = run_cli("sample", cgan_run, "--label", "7", "--n", "5", "--out", tmp_path / "sevens.npy",
                                  "--seed", "1")
    assert status == 0, err
    assert "5 samples of class 7" in stdout
    sevens = np.load(tmp_path / "sevens.npy")
    assert sevens.shape == (5, 28, 28, 1)
    run_cli("sample", cgan_run, "--label", "3", "--n", "5", "--out", tmp_path / "threes.npy", "--seed", "1")
    assert not np.allclose(sevens, np.load(tmp_path / "threes.npy"))  # same seed, another class


def test_a_conditional_run_samples_a_class_grid_upscaled_and_a_class_morph(cgan_run, tmp_path):
    import imageio.v3 as iio

    status, stdout, err = run_cli("sample", cgan_run, "--n", "3", "--size", "56", "--out", tmp_path / "grid.png")
    assert status == 0, err
    assert "30 samples (3 per class" in stdout
    assert iio.imread(tmp_path / "grid.png").shape[:2] == (10 * 58 + 2, 3 * 58 + 2)  # 56-pixel images, 2-pixel gaps
    status, _, err = run_cli("sample", cgan_run, "--n", "2", "--out", tmp_path / "morph.gif")
    assert status == 0, err
    assert len(iio.imread(tmp_path / "morph.gif", index=None)) == 10 * 12  # 12 frames from each class to the next


@pytest.mark.parametrize("label, says", [("10", "knows classes 0 to 9")])
def test_a_label_out_of_range_is_a_clear_error(cgan_run, tmp_path, label, says):
    status, _, stderr = run_cli("sample", cgan_run, "--label", label, "--out", tmp_path / "x.png")
    assert status == 2 and says in one_error_line(stderr)
    assert not (tmp_path / "x.png").exists()


def test_label_on_an_unconditional_run_is_a_clear_error(trained_run, tmp_path):
    status, _, stderr = run_cli("sample", trained_run / "run", "--label", "3", "--out", tmp_path / "x.png")
    assert status == 2 and "not conditional" in one_error_line(stderr)
