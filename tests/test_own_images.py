"""Chapter 07: models of any size and colour, DiffAugment as a run setting, and the command line on a folder of
your own pictures (train, sample, evaluate), with its bad inputs."""

import json

import numpy as np
import pytest
from PIL import Image

from ganlib import data, models, train
from helpers import one_error_line


@pytest.fixture(scope="module")
def picture_folder(tmp_path_factory):
    """60 small colour pictures in nested folders: a red or a blue square on noise."""
    root = tmp_path_factory.mktemp("pictures")
    rng = np.random.default_rng(0)
    for i in range(60):
        picture = (rng.uniform(size=(40, 48, 3)) * 255).astype(np.uint8)
        picture[10:30, 14:34] = (255, 0, 0) if i % 2 else (0, 0, 255)
        folder = root / ("sub" if i % 3 == 0 else "")
        folder.mkdir(exist_ok=True)
        Image.fromarray(picture).save(folder / f"p{i}.png")
    return root


@pytest.mark.parametrize("size, channels", [(28, 1), (32, 3), (64, 3), (48, 1)])
def test_the_convolutional_builders_take_any_size_and_channels(size, channels):
    shape = (size, size, channels)
    generator = models.dcgan_generator(16, 8, shape)
    assert generator.output_shape[1:] == shape
    for discriminator in (models.dcgan_discriminator(8, image_shape=shape),
                          models.wgan_critic(8, layer_norm=True, image_shape=shape),
                          models.cgan_discriminator(10, 8, shape)):
        assert discriminator.output_shape[1:] == (1,)


def test_the_digit_models_are_unchanged_by_the_generalisation():
    # chapter 02's networks at 28×28×1, layer for layer (their parameter counts pin them down)
    assert models.dcgan_generator(64, 32).count_params() == 246_657
    assert models.dcgan_discriminator(32).count_params() == 36_513
    assert models.resolution_plan(28) == (7, 2) and models.resolution_plan(64) == (4, 4)
    with pytest.raises(ValueError, match="4 to 7 times a power of two"):
        models.resolution_plan(36)


def test_augmentation_is_a_setting_and_trains(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (64, 32, 32, 3)).astype(np.uint8)
    gan = train.build_gan("dcgan", image_size=32, channels=3, width=8, batch_size=16,
                          augment="color,translation,cutout")
    result = train.fit(gan, images, 1, tmp_path, progress=False, verbose=False)
    assert result.stopped_by == "epochs" and np.all(np.isfinite(result.history.steps["d_loss"]))
    with pytest.raises(ValueError, match="unknown DiffAugment policy 'colr'"):
        train.build_gan("dcgan", augment="colr,cutout")


def test_an_epoch_of_a_small_folder_is_several_passes():
    pictures = np.random.default_rng(0).integers(0, 256, (150, 8, 8, 3)).astype(np.uint8)
    repeated = data.repeat_for_epochs(pictures, 10_000)
    assert len(repeated) == 150 * 67  # the fewest whole passes that reach 10,000
    for k in (0, 66):
        np.testing.assert_array_equal(repeated[150 * k:150 * (k + 1)], pictures)
    assert len(data.repeat_for_epochs(pictures, 150)) == len(data.repeat_for_epochs(pictures, 1)) == 150
    with pytest.raises(ValueError, match="no images"):
        data.repeat_for_epochs(pictures[:0])


def test_train_sample_and_evaluate_a_folder_of_pictures(cli, tmp_path, picture_folder):
    run = tmp_path / "runs" / "mine"
    status, out, err = cli("train", "dcgan", "--images", picture_folder, "--size", "32", "--epochs", "1",
                           "--batch-size", "16", "--set", "width=8", "--out", run)
    assert status == 0, err
    assert "60 images" in err + out and "held out" in out
    assert "An epoch is 5 passes over the 52 pictures" in out  # quick mode: at least 256 pictures an epoch
    config = json.loads((run / "config.json").read_text())
    assert (config["image_size"], config["channels"], config["dataset"]) == (32, 3, "folder")
    assert list((tmp_path / "runs" / ".image-cache").glob("*.npz"))  # the decoded pictures, beside the run
    status, _, err = cli("sample", run, "--n", "4", "--out", tmp_path / "s.npy")
    assert status == 0, err
    assert np.load(tmp_path / "s.npy").shape == (4, 32, 32, 3)
    status, out, err = cli("evaluate", run, "--n", "40")
    assert status == 0, err
    measured = json.loads(out.strip().splitlines()[-1])
    assert measured["features"].startswith("none") and "fid" not in measured  # no MNIST classifier on colour
    assert measured["memorisation_ratio"] > 0 and 0 <= measured["d_real_on_held_out"] <= 1


def test_bad_folders_and_flags_are_one_line(cli, tmp_path, picture_folder):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("no pictures here")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "a.png").write_bytes(b"not a png")
    (tmp_path / "a_file.png").write_bytes(b"x")
    cases = [
        (["train", "dcgan", "--images", tmp_path / "missing"], "does not exist"),
        (["train", "dcgan", "--images", tmp_path / "empty"], "is empty"),
        (["train", "dcgan", "--images", tmp_path / "notes"], "holds no PNG, JPEG, WebP or GIF files"),
        (["train", "dcgan", "--images", tmp_path / "broken"], "none of its 1 pictures could be used"),
        (["train", "dcgan", "--images", tmp_path / "a_file.png"], "is a file, not a folder"),
        (["train", "dcgan", "--images", picture_folder, "--size", "36"], "4 to 7 times a power of two"),
        (["train", "gan", "--images", picture_folder], "draws 28×28 digits only"),
        (["train", "cgan", "--images", picture_folder], "needs a class label for every picture"),
        (["train", "dcgan", "--size", "32"], "go with --images"),
        (["train", "dcgan", "--images", picture_folder, "--set", "augment=flip"], "unknown DiffAugment policy"),
    ]
    for args, says in cases:
        status, out, err = cli(*args)
        assert status == 2, (args, err)
        assert says in one_error_line(err), (args, err)


@pytest.mark.parametrize("size, channels", [(32, 3), (64, 1)])
def test_the_style_based_generator_takes_any_size_and_channels(size, channels):
    gan = train.build_gan("style", image_size=size, channels=channels, width=8, w_dim=16)
    assert gan.image_shape == (size, size, channels)
    assert gan.generator.sizes[-1] == size and gan.generator.sizes[0] in (4, 5, 6, 7)
    assert gan.discriminator.output_shape[1:] == (1,)
    assert gan.sample(2, seed=0, psi=0.7).shape == (2, size, size, channels)


def test_the_style_digit_model_is_unchanged():
    gan = train.build_gan("style")
    assert gan.generator.sizes == (7, 14, 28) and gan.generator.channels == (64, 32, 16)
    # 99,734 with the first defaults (3 mapping layers, one convolution per block, the learned constant); each
    # 64→64 Dense layer fewer is 4,160 parameters; StyleGAN's second convolution per block adds its conv, noise
    # scales and AdaIN map: 45,312 at 7×7, 13,440 at 14×14 and 4,416 at 28×28; the first maps made from w (the
    # default since 2026-11-27, afternoon) replace the 7×7×64 constant by a 64 → 7·7·64 Dense layer
    with_constant = 99_734 - 2 * (64 * 64 + 64)
    assert train.build_gan("style", const_input=True).generator.count_params() == with_constant
    assert (train.build_gan("style", const_input=True, convs_per_block=2).generator.count_params()
            == with_constant + 45_312 + 13_440 + 4_416)
    base_units = 7 * 7 * 64
    assert gan.generator.count_params() == with_constant - base_units + (64 + 1) * base_units
    assert train.build_gan("style", image_size=32, channels=3).config["const_input"]  # pictures: the constant


def test_a_growing_generator_draws_at_its_level_and_d_sees_the_same():
    gan = train.build_gan("style", image_size=32, channels=1, width=8, w_dim=16, grow_steps=10, batch_size=16)
    g = gan.generator
    assert g.sizes == (4, 8, 16, 32) and float(g.level.numpy()) == 0.0
    blocks = gan.sample(3, seed=0).reshape(3, 4, 8, 4, 8)  # level 0: 4×4 images, each pixel repeated 8×8 times
    assert np.allclose(blocks, blocks[:, :, :1, :, :1])
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 1)).astype(np.float32)
    seen = np.asarray(g.view(x)).reshape(2, 4, 8, 4, 8)
    np.testing.assert_allclose(seen[:, :, 0, :, 0], x.reshape(2, 4, 8, 4, 8).mean(axis=(2, 4)), atol=1e-6)
    g.follow_step(25)  # level 2.5: halfway from 16×16 to 32×32
    assert float(g.level.numpy()) == 2.5
    g.follow_step(1000)
    assert float(g.level.numpy()) == 3.0  # the last block, full resolution
    np.testing.assert_array_equal(np.asarray(g.view(x)), x)  # at full size D sees images as they are


@pytest.mark.end_to_end
def test_growing_trains_and_resumes_exactly(tmp_path):
    images = np.random.default_rng(1).integers(0, 256, (96, 32, 32, 3)).astype(np.uint8)

    def build():
        return train.build_gan("style", seed=1, image_size=32, channels=3, width=8, w_dim=16, grow_steps=4,
                               batch_size=16, augment="translation")

    straight = build()
    train.fit(straight, images, 2, tmp_path / "a", progress=False, verbose=False)
    part = build()
    train.fit(part, images, 2, tmp_path / "b", max_steps=5, progress=False, verbose=False)
    rest = build()
    train.fit(rest, images, 2, tmp_path / "b", progress=False, verbose=False)
    assert float(rest.generator.level.numpy()) == 3.0
    for a, b in zip(straight.checkpoint_variables(), rest.checkpoint_variables()):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
