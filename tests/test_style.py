"""Chapter 04: AdaIN, the mapping network, the style-based generator, style mixing and truncation."""

import json

import numpy as np
import pytest
import tensorflow as tf

from ganlib import models, style, train


def feature_maps(n=4, size=7, channels=5, seed=0):
    rng = np.random.default_rng(seed)
    # channels with different means and scales, as real feature maps have
    return (rng.normal(size=(n, size, size, channels)) * rng.uniform(0.2, 3, channels)
            + rng.normal(0, 2, channels)).astype(np.float32)


def test_adain_gives_each_channel_the_style_mean_and_std():
    x = feature_maps()
    rng = np.random.default_rng(1)
    y_s, y_b = rng.uniform(0.5, 2, (4, 5)).astype(np.float32), rng.normal(size=(4, 5)).astype(np.float32)
    out = np.asarray(style.adain(x, y_s, y_b))
    np.testing.assert_allclose(out.mean(axis=(1, 2)), y_b, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(1, 2)), y_s, rtol=1e-3)


def test_adain_is_the_identity_with_the_inputs_own_statistics():
    x = feature_maps(seed=2)
    mean, std = style.channel_statistics(x)
    np.testing.assert_allclose(np.asarray(style.adain(x, std, mean)), x, atol=1e-5)
    # σ(x) as defined there is √(Var + ε): check it against numpy
    np.testing.assert_allclose(np.asarray(std), np.sqrt(x.var(axis=(1, 2)) + 1e-5), rtol=1e-5)


def test_adain_is_finite_on_constant_feature_maps():
    x = np.full((2, 7, 7, 3), 4.0, np.float32)
    y_s, y_b = np.full((2, 3), 2.0, np.float32), np.array([[1.0, -1.0, 0.5]] * 2, np.float32)
    out = np.asarray(style.adain(x, y_s, y_b))
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, np.broadcast_to(y_b[:, None, None, :], out.shape))


def test_adain_layer_starts_with_unit_scale_and_zero_bias():
    layer = style.AdaIN()
    layer.build([(None, 7, 7, 6), (None, 16)])
    np.testing.assert_array_equal(layer.style_scale.bias.numpy(), np.ones(6))
    np.testing.assert_array_equal(layer.style_bias.bias.numpy(), np.zeros(6))
    y_s, y_b = layer.styles(np.zeros((3, 16), np.float32))  # the style-independent part
    np.testing.assert_array_equal(np.asarray(y_s), np.ones((3, 6)))
    np.testing.assert_array_equal(np.asarray(y_b), np.zeros((3, 6)))


def test_mapping_network_pixel_normalises_z():
    mapping = style.mapping_network(latent_dim=8, w_dim=4, num_layers=2)
    z = np.random.default_rng(3).normal(size=(5, 8)).astype(np.float32)
    # PixelNorm makes the mapping blind to the length of z
    np.testing.assert_allclose(mapping(z).numpy(), mapping(7.0 * z).numpy(), rtol=1e-5, atol=1e-6)
    assert mapping(z).shape == (5, 4)


@pytest.fixture
def generator():
    g = style.StyleGenerator(latent_dim=16, w_dim=16, mapping_layers=2, width=8, seed=0)
    g.build((None, 16))
    return g


def latents(n, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 16)).astype(np.float32)


def test_style_generator_makes_28x28_images_in_tanh_range(generator):
    images = generator(latents(6)).numpy()
    assert images.shape == (6, 28, 28, 1)
    assert np.all(np.abs(images) <= 1)
    assert generator.num_blocks == 3


def test_truncation_with_psi_zero_gives_one_image_for_every_z(generator):
    generator.w_avg.assign(np.random.default_rng(4).normal(size=16).astype(np.float32))
    images = generator.generate(latents(8), psi=0.0).numpy()
    np.testing.assert_allclose(images, np.broadcast_to(images[:1], images.shape), atol=1e-5)
    assert np.abs(generator.generate(latents(8), psi=1.0).numpy() - images).max() > 1e-3
    w = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(style.truncate(w, np.zeros(3, np.float32), 0.25), 0.25 * w)


def test_mixing_the_same_styles_is_no_mixing(generator):
    ws = style.broadcast_styles(generator.styles(latents(4)), generator.num_blocks)
    for crossover in range(generator.num_blocks + 1):
        mixed = style.mix_styles(ws, ws, crossover)
        np.testing.assert_array_equal(generator.synthesise(mixed).numpy(), generator.synthesise(ws).numpy())


def test_mix_styles_takes_blocks_before_the_crossover_from_the_first_source():
    a, b = np.zeros((2, 3, 4), np.float32), np.ones((2, 3, 4), np.float32)
    mixed = np.asarray(style.mix_styles(a, b, [1, 2]))
    np.testing.assert_array_equal(mixed[:, :, 0], [[0, 1, 1], [0, 0, 1]])


def test_coarse_and_fine_styles_both_change_the_image(generator):
    # every block's style matters from the start (AdaIN's learned affine maps are random): swapping the style
    # of any one block changes the image
    ws_a = style.broadcast_styles(generator.styles(latents(2, 5)), 3)
    ws_b = style.broadcast_styles(generator.styles(latents(2, 6)), 3)
    base = generator.synthesise(ws_a).numpy()
    for block in range(3):
        swapped = np.asarray(ws_a).copy()
        swapped[:, block] = np.asarray(ws_b)[:, block]
        assert np.abs(generator.synthesise(swapped).numpy() - base).max() > 1e-4


def test_noise_inputs_fixed_by_default_and_seedable(generator):
    ws = style.broadcast_styles(generator.styles(latents(3)), 3)
    for block in generator.blocks:  # noise scales start at 0; give them a value so noise shows
        block.noise.scale.assign(np.full(block.channels, 0.5, np.float32))
    np.testing.assert_array_equal(generator.synthesise(ws).numpy(), generator.synthesise(ws).numpy())
    np.testing.assert_array_equal(generator.synthesise(ws, noise=7).numpy(), generator.synthesise(ws, noise=7).numpy())
    assert np.abs(generator.synthesise(ws, noise=7).numpy() - generator.synthesise(ws, noise=8).numpy()).max() > 1e-3
    with pytest.raises(ValueError, match="noise must be"):
        generator.synthesise(ws, noise="sometimes")


def test_training_mode_tracks_the_average_style_and_mixes(generator):
    before = generator.w_avg.numpy().copy()
    generator(latents(64), training=True)
    w_mean = generator.styles(latents(64)).numpy().mean(0)
    expected = 0.995 * before + 0.005 * w_mean
    np.testing.assert_allclose(generator.w_avg.numpy(), expected, rtol=1e-4, atol=1e-6)


def test_mixing_regularisation_crossover_mixes_the_asked_share():
    g = style.StyleGenerator(latent_dim=16, w_dim=16, mapping_layers=2, width=8, mixing_prob=0.5, seed=1)
    g.build((None, 16))
    ws = tf.zeros((4000, 3, 16))
    mixed = g.mixing_regularisation(ws, (4000, 16)).numpy()
    from_second = np.any(mixed != 0, axis=2)  # (N, blocks): which blocks took the second latent's style
    assert not from_second[:, 0].any()  # the crossover is at block 1 or later
    share_mixed = from_second.any(axis=1).mean()
    assert share_mixed == pytest.approx(0.5, abs=0.04)
    # a mixed image takes the second style from its crossover on: block 2 whenever block 1
    assert np.all(from_second[:, 2] >= from_second[:, 1])
    assert 0.3 < from_second[from_second[:, 2], 1].mean() < 0.7  # crossovers 1 and 2 both drawn


def test_minibatch_stddev_channel():
    x = np.random.default_rng(0).normal(size=(8, 7, 7, 3)).astype(np.float32)
    out = models.MinibatchStdDev()(x).numpy()
    assert out.shape == (8, 7, 7, 4)
    np.testing.assert_allclose(out[..., 3], np.mean(np.sqrt(x.var(axis=0) + 1e-8)), rtol=1e-5)
    same = models.MinibatchStdDev()(np.repeat(x[:1], 8, axis=0)).numpy()
    assert np.abs(same[..., 3]).max() < 1e-3


def test_the_style_discriminator_has_the_minibatch_std_channel_unless_asked_not_to():
    def has_channel(**settings):
        d = train.build_gan("style", width=8, w_dim=16, latent_dim=16, **settings).discriminator
        return any(isinstance(layer, models.MinibatchStdDev) for layer in d.layers)

    assert has_channel() and not has_channel(minibatch_std=False)
    assert not has_channel(loss="wgan_gp")  # a Wasserstein critic judges each image on its own


@pytest.mark.parametrize("loss", ["non_saturating", "wgan_gp"])
def test_style_gan_trains_checkpoints_and_resumes(tmp_path, digits, loss):
    def build():
        return train.build_gan("style", seed=3, loss=loss, batch_size=32, width=8, w_dim=16, latent_dim=16,
                               mixing_prob=0.9)

    def run(epochs):
        gan = build()
        train.fit(gan, digits[0][:256], epochs, tmp_path, progress=False, verbose=False)
        return gan

    first = run(1)
    assert (tmp_path / "training.gif").is_file()
    restored = train.load_gan(tmp_path)
    # the checkpoint holds what `sample` and a resumed run need: weights, w̄, and the style rng's state
    fresh = build()
    assert not np.array_equal(fresh.generator.rng.state.numpy(), first.generator.rng.state.numpy())
    np.testing.assert_array_equal(restored.generator.rng.state.numpy(), first.generator.rng.state.numpy())
    assert np.abs(first.generator.w_avg.numpy()).max() > 0  # w̄ moved during training
    np.testing.assert_array_equal(restored.generator.w_avg.numpy(), first.generator.w_avg.numpy())
    z = latents(4)
    np.testing.assert_allclose(restored.generate(z), first.generate(z), atol=1e-6)
    np.testing.assert_allclose(restored.generate(z, psi=0.5), first.generate(z, psi=0.5), atol=1e-6)
    resumed = run(2)
    assert int(resumed.step.numpy()) == 2 * int(first.step.numpy()) and int(resumed.epoch.numpy()) == 2


def test_psi_needs_a_style_generator():
    gan = train.build_gan("dcgan", width=8)
    with pytest.raises(ValueError, match="style-based generator"):
        gan.generate(latents(2, 0)[:, :1].repeat(64, 1), psi=0.5)
    with pytest.raises(ValueError, match="loss='hinge' is not one of non_saturating, wgan_gp"):
        train.build_gan("style", loss="hinge")


def test_cli_trains_style_and_samples_with_truncation(cli, tmp_path):
    run_dir = tmp_path / "style"
    status, _, err = cli("train", "style", "--epochs", "1", "--limit", "128", "--out", run_dir, "--set", "width=8")
    assert status == 0, err
    assert json.loads((run_dir / "config.json").read_text())["model"] == "style"
    out = tmp_path / "psi0.npy"
    status, stdout, err = cli("sample", run_dir, "--n", "5", "--psi", "0", "--out", out)
    assert status == 0, err
    images = np.load(out)
    np.testing.assert_allclose(images, np.broadcast_to(images[:1], images.shape), atol=1e-5)
    assert "ψ = 0" in stdout
    assert cli("sample", run_dir, "--n", "4", "--psi", "0.7", "--out", tmp_path / "walk.gif")[0] == 0
