import gzip

import numpy as np
import pytest

from ganlib import data


def write_idx(path, array, magic=None, compress=True, truncate=0):
    array = np.asarray(array, np.uint8)
    magic = magic if magic is not None else 0x800 + array.ndim
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    raw = (header + array.tobytes())[: len(header) + array.size - truncate]
    path.parent.mkdir(parents=True, exist_ok=True)
    (gzip.open if compress else open)(path, "wb").write(raw)
    return path


def write_split(folder, split, n=6, compress=True, seed=0):
    rng = np.random.default_rng(seed)
    images, labels = rng.integers(0, 256, (n, 28, 28)), rng.integers(0, 10, n)
    image_stem, label_stem = data.IDX_FILES[split]
    ext = ".gz" if compress else ""
    write_idx(folder / f"{image_stem}{ext}", images, compress=compress)
    write_idx(folder / f"{label_stem}{ext}", labels, compress=compress)
    return images.astype(np.uint8), labels.astype(np.uint8)


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
    assert data.load("fashion_mnist", download=False).source == str(tmp_path / "debian")
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


def test_pipeline_scales_to_minus_one_one_and_drops_the_remainder():
    images = np.array([np.full((28, 28), v, np.uint8) for v in (0, 255, 51, 102, 153)])
    batches = [b.numpy() for b in data.make_pipeline(images, batch_size=2, seed=0)]
    assert len(batches) == 2 and all(b.shape == (2, 28, 28, 1) for b in batches)
    values = {round(float(b[i, 0, 0, 0]), 5) for b in batches for i in range(2)}
    assert len(values) == 4 and values <= {-1.0, 1.0, -0.6, -0.2, 0.2}  # v / 127.5 − 1


def test_pipeline_shuffle_is_seeded():
    images = np.arange(32, dtype=np.uint8)[:, None, None].repeat(28, 1).repeat(28, 2)

    def order(seed):
        return [float(x) for b in data.make_pipeline(images, 8, seed=seed) for x in b[:, 0, 0, 0]]

    assert order(3) == order(3)
    assert order(3) != order(4)
