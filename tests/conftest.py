"""Fixtures shared by the unit tests (helpers.py holds the plain functions)."""

import pytest

from helpers import write_split


@pytest.fixture
def cli(capsys):
    """Run ``python -m ganlib ARGS`` in this process: returns (status, stdout, stderr)."""
    from ganlib import cli as ganlib_cli

    def run(*args):
        capsys.readouterr()
        status = ganlib_cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.fixture(scope="session")
def digits():
    """Real MNIST digits (uint8) and labels from the offline copy, 512 of each."""
    from ganlib import data

    mnist = data.load("mnist", "train", verbose=False)
    return mnist.images[:512], mnist.labels[:512]


@pytest.fixture(scope="session")
def mnist_folder(tmp_path_factory):
    """A data folder with a tiny random MNIST training split of 128 images, for CLI runs."""
    root = tmp_path_factory.mktemp("data")
    write_split(root / "mnist", "train", n=128)
    return root
