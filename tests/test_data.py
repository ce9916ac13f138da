import os
from pathlib import Path

import numpy as np
import pytest

from ganlib import data
from helpers import write_idx, write_split

OFFLINE_MNIST = os.environ.get(data.DATA_DIR_ENV)  # read before the fixture below hides it


@pytest.fixture(autouse=True)
def no_default_places(monkeypatch, tmp_path):
    """Tests see only the folders they make: no env var, an empty repo data/, no Debian folder."""
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    monkeypatch.setattr(data, "REPO_DATA_DIR", tmp_path / "repo-data")
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", tmp_path / "debian")


@pytest.mark.parametrize("compress", [True, False])
def test_reads_idx_files_exactly(tmp_path, compress):
    images, labels = write_split(tmp_path / "mnist", "train", compress=compress)
    loaded = data.load("mnist", data_dir=tmp_path)
    np.testing.assert_array_equal(loaded.images, images)
    np.testing.assert_array_equal(loaded.labels, labels)
    assert (loaded.split, loaded.images.dtype) == ("train", np.uint8)


def test_uses_test_split_when_only_it_exists_and_says_so(tmp_path, capsys):
    images, _ = write_split(tmp_path / "mnist", "test")
    loaded = data.load("mnist", data_dir=tmp_path)
    assert loaded.split == "test"
    np.testing.assert_array_equal(loaded.images, images)
    message = capsys.readouterr().err.strip().splitlines()
    assert len(message) == 1 and "only the test split" in message[0]


def test_reads_keras_npz(tmp_path):
    x = np.arange(4 * 28 * 28, dtype=np.uint8).reshape(4, 28, 28)
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=np.arange(4), x_test=x[:2], y_test=np.arange(2))
    np.testing.assert_array_equal(data.load("mnist", data_dir=tmp_path).images, x)
    np.testing.assert_array_equal(data.load("mnist", "test", data_dir=tmp_path).labels, [0, 1])


def test_search_order_env_var_then_repo_data_then_debian(tmp_path, monkeypatch):
    write_split(tmp_path / "debian", "train", seed=1)
    assert data.load("fashion_mnist", download=False).source == "Debian's dataset-fashion-mnist package"
    repo_images, _ = write_split(tmp_path / "repo-data" / "fashion-mnist", "train", seed=2)
    np.testing.assert_array_equal(data.load("fashion_mnist", download=False).images, repo_images)
    env_images, _ = write_split(tmp_path / "env" / "fashion-mnist", "train", seed=3)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "env"))
    np.testing.assert_array_equal(data.load("fashion_mnist", download=False).images, env_images)


def test_never_substitutes_another_dataset(tmp_path):
    write_split(tmp_path / "fashion-mnist", "train")
    with pytest.raises(data.DataNotFoundError, match="mnist not found"):
        data.load("mnist", data_dir=tmp_path)


def test_corrupt_gzip_names_the_file(tmp_path):
    write_split(tmp_path / "mnist", "train")
    bad = tmp_path / "mnist" / "train-images-idx3-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:200])  # cut mid-stream
    with pytest.raises(data.DataError, match="train-images-idx3-ubyte.gz.*corrupt or truncated"):
        data.load("mnist", data_dir=tmp_path)


def test_truncated_idx_body_names_the_file(tmp_path):
    write_split(tmp_path / "mnist", "train")
    write_idx(tmp_path / "mnist" / "train-images-idx3-ubyte.gz", np.zeros((6, 28, 28)), truncate=10)
    with pytest.raises(data.DataError, match=r"train-images-idx3-ubyte.gz: header says shape \(6, 28, 28\)"):
        data.load("mnist", data_dir=tmp_path)


def test_wrong_magic_number_names_the_file(tmp_path):
    write_split(tmp_path / "mnist", "train")
    write_idx(tmp_path / "mnist" / "train-labels-idx1-ubyte.gz", np.zeros(6), magic=0x0803)
    with pytest.raises(data.DataError, match="train-labels-idx1-ubyte.gz: magic number 0x00000803, expected 0x00000801"):
        data.load("mnist", data_dir=tmp_path)


def test_image_label_count_mismatch(tmp_path):
    write_split(tmp_path / "mnist", "train")
    write_idx(tmp_path / "mnist" / "train-labels-idx1-ubyte.gz", np.zeros(5))
    with pytest.raises(data.DataError, match="5 labels for 6 images"):
        data.load("mnist", data_dir=tmp_path)


def test_missing_explicit_directory_is_a_clear_error(tmp_path):
    with pytest.raises(data.DataNotFoundError, match="does not exist"):
        data.load("mnist", data_dir=tmp_path / "nope")


def test_nothing_found_lists_every_place_tried_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "missing"))
    with pytest.raises(data.DataNotFoundError) as err:
        data.load("fashion_mnist", download=False)
    message = str(err.value)
    for place in (str(tmp_path / "missing"), str(tmp_path / "repo-data"), str(tmp_path / "debian"), "keras.datasets"):
        assert place in message
    assert "GANLIB_DATA_DIR" in message and "apt-get install dataset-fashion-mnist" in message
    assert "\n" not in message


def test_failed_download_is_reported_among_the_places_tried(monkeypatch):
    def offline(name):
        raise OSError("network is unreachable")

    monkeypatch.setattr(data, "_download_with_keras", offline)
    with pytest.raises(data.DataNotFoundError, match="download failed: OSError: network is unreachable"):
        data.load("mnist")


def test_epoch_batches_scale_to_minus_one_one_and_drop_the_remainder():
    images = np.array([np.full((28, 28), v, np.uint8) for v in (0, 255, 51, 102, 153)])
    indices = data.step_indices(len(images), 2, seed=0, epoch=1)
    batches = [b.numpy() for b in data.epoch_batches(data.images_tensor(images), indices)]
    assert len(batches) == 2 and all(b.shape == (2, 28, 28, 1) for b in batches)
    values = {round(float(b[i, 0, 0, 0]), 5) for b in batches for i in range(2)}
    assert len(values) == 4 and values <= {-1.0, 1.0, -0.6, -0.2, 0.2}  # v / 127.5 − 1


def test_the_order_is_a_function_of_seed_and_epoch_only():
    first = data.epoch_order(100, seed=3, epoch=1)
    np.testing.assert_array_equal(first, data.epoch_order(100, seed=3, epoch=1))  # a new process gets the same
    assert sorted(first) == list(range(100))
    assert not np.array_equal(first, data.epoch_order(100, seed=3, epoch=2))  # each epoch reshuffles
    assert not np.array_equal(first, data.epoch_order(100, seed=4, epoch=1))


def test_step_indices_cut_the_order_into_steps_of_distinct_images():
    indices = data.step_indices(100, batch_size=4, seed=0, epoch=2, batches_per_step=3)
    assert indices.shape == (8, 4, 3)  # 96 of 100 images: the last 4 wait for the next epoch
    order = data.epoch_order(100, 0, 2)
    np.testing.assert_array_equal(indices[0, :, 1], order[4:8])  # batch 1 of step 0: the order's images 4–7
    assert len(np.unique(indices)) == 96


def test_epoch_batches_resume_mid_epoch_with_the_same_batches():
    images = np.arange(64, dtype=np.uint8)[:, None, None].repeat(28, 1).repeat(28, 2)
    labels = np.arange(64) % 10
    indices = data.step_indices(64, 8, seed=1, epoch=1)

    def ids(ds):
        return [(np.rint((x.numpy()[:, 0, 0, 0] + 1) * 127.5).astype(int).tolist(), y.numpy().tolist()) for x, y in ds]

    whole = ids(data.epoch_batches(data.images_tensor(images), indices, labels))
    resumed = ids(data.epoch_batches(data.images_tensor(images), indices[3:], labels))
    assert resumed == whole[3:]
    assert all(np.array_equal(np.array(x) % 10, y) for x, y in whole)  # each label stays with its image


def test_stacked_batches_keep_the_critic_batches_apart():
    images = np.arange(60, dtype=np.uint8)[:, None, None].repeat(28, 1).repeat(28, 2)  # image k is all k
    indices = data.step_indices(60, 4, seed=0, epoch=1, batches_per_step=5)
    elements = [e.numpy() for e in data.epoch_batches(data.images_tensor(images), indices, stacked=True)]
    assert len(elements) == 3 and elements[0].shape == (4, 5, 28, 28, 1)
    ids = np.concatenate([np.rint((e[:, :, 0, 0, 0] + 1) * 127.5).ravel() for e in elements])
    assert len(np.unique(ids)) == 60  # no image twice in an epoch, so no batch reused within a step


def _fake_official(folder, dataset, monkeypatch):
    """Write random files and register their arrays as the official files of ``dataset``."""
    images, labels = write_split(folder, "train", n=8, seed=7)
    known = dict(data.KNOWN_ARRAYS)
    for array, what in ((images, "train images"), (labels, "train labels")):
        known[__import__("hashlib").md5(array.tobytes()).hexdigest()] = (dataset, what)
    monkeypatch.setattr(data, "KNOWN_ARRAYS", known)


def test_fashion_files_where_mnist_is_looked_for_are_never_loaded_as_mnist(tmp_path, monkeypatch):
    _fake_official(tmp_path, "fashion_mnist", monkeypatch)  # directly in the folder, under MNIST's file names
    with pytest.raises(data.DataNotFoundError, match="holds fashion_mnist's train images .by its checksum., not mnist"):
        data.load("mnist", data_dir=tmp_path)
    assert data.load("fashion_mnist", data_dir=tmp_path, verbose=False).name == "fashion_mnist"


def test_the_real_fashion_files_are_recognised_where_installed():
    debian = Path("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")
    if not debian.is_file():
        pytest.skip("Debian's dataset-fashion-mnist is not installed here")
    assert data.identify(data.read_idx(debian, 1)) == ("fashion_mnist", "test labels")


def test_genuine_mnist_is_recognised_and_unknown_files_load():
    mnist = data.load("mnist", "test", data_dir=OFFLINE_MNIST, verbose=False)
    assert data.identify(mnist.labels) == ("mnist", "test labels")
    assert data.identify(np.zeros(5, np.uint8)) is None
