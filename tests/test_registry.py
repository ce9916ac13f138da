"""The model registry: every model builds from its one declaration, settings reach the builders, critics judge
each image on its own, and a new model is one entry."""

import re
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest
import tensorflow as tf

from ganlib import cli, losses, models, registry, train

SMALL = {"width": 8, "latent_dim": 16, "w_dim": 16}  # where a model has them: small and fast


def small_settings(spec, **more):
    return {k: v for k, v in SMALL.items() if k in spec.defaults} | more


@pytest.mark.parametrize("name", list(registry.MODELS))
def test_every_model_builds_from_its_declaration(name):
    spec = registry.MODELS[name]
    gan = train.build_gan(name, seed=0, **small_settings(spec))
    assert gan.spec is spec and gan.config["model"] == name
    assert set(spec.defaults) <= set(gan.config)
    images = gan.sample(3, seed=0)
    assert images.shape == (3, 28, 28, 1) and images.dtype == np.float32 and np.abs(images).max() <= 1
    inputs = [tf.constant(images), tf.constant([1, 2, 3])] if spec.conditional else tf.constant(images)
    assert tuple(gan.discriminator(inputs).shape) == (3, 1)
    assert spec.epochs >= 1 and spec.summary


def test_the_command_line_reads_the_registry():
    train_parser = next(a for a in cli.build_parser()._subparsers._group_actions[0].choices.values()
                        if a.prog.endswith("train"))
    model_arg = next(a for a in train_parser._actions if a.dest == "model")
    assert list(model_arg.choices) == list(registry.MODELS)
    for name, spec in registry.MODELS.items():
        assert f"{name}: {spec.summary}, {spec.epochs} epochs" in model_arg.help


@pytest.mark.parametrize("name, loss", [(name, loss) for name, spec in registry.MODELS.items()
                                        for loss in (spec.allowed("loss") or ())
                                        if loss in losses.WASSERSTEIN_LOSSES])
def test_no_critic_couples_the_images_of_a_batch(name, loss):
    # The gradient penalty constrains each image's own gradient: f(x_i) must not depend on the other images
    # of the batch (BatchNorm or a minibatch-std channel would make it), in training mode as the step calls it.
    spec = registry.MODELS[name]
    critic = train.build_gan(name, seed=0, **small_settings(spec, loss=loss)).discriminator
    rng = np.random.default_rng(0)
    batch = rng.uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32)
    other = batch.copy()
    other[1:] = rng.uniform(-1, 1, (3, 28, 28, 1))
    first = critic(batch, training=True).numpy()[0]
    np.testing.assert_allclose(critic(other, training=True).numpy()[0], first, rtol=1e-5, atol=1e-6)


def test_a_batch_coupling_critic_would_be_caught():
    # the check above bites: the minibatch-std discriminator (a minimax D, where coupling is the point) fails it
    d = models.dcgan_discriminator(8, minibatch_std=True)
    rng = np.random.default_rng(0)
    batch = rng.uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32)
    other = batch.copy()
    other[1:] = 0.0
    assert not np.allclose(d(batch, training=True).numpy()[0], d(other, training=True).numpy()[0])


def test_no_module_compares_model_names_outside_the_registry():
    names = "|".join(map(re.escape, registry.MODELS))
    comparison = re.compile(rf"""(==|!=)\s*["']({names})["']|["']({names})["']\s*(==|!=)""")
    for path in sorted(Path(registry.__file__).parent.glob("*.py")):
        if path.name != "registry.py":
            hits = [line.strip() for line in path.read_text().splitlines() if comparison.search(line)]
            assert not hits, f"{path.name} compares model names: {hits}"


def test_a_new_model_is_one_registry_entry(monkeypatch, tmp_path, cli):
    wide = registry.ModelSpec(
        "wide_dcgan", chapter="02", summary="the chapter 02 DCGAN, twice as wide",
        build=lambda s: (models.dcgan_generator(s["latent_dim"], s["width"]), models.dcgan_discriminator(s["width"])),
        defaults={**registry.TRAINING, "latent_dim": 16, "width": 16, "loss": "non_saturating"},
        epochs=3)
    monkeypatch.setattr(registry, "MODELS", MappingProxyType({**registry.MODELS, "wide_dcgan": wide}))
    gan = train.build_gan("wide_dcgan", seed=0, width=12)
    assert gan.generator.count_params() > train.build_gan("dcgan", latent_dim=16, width=8).generator.count_params()
    status, _, err = cli("train", "wide_dcgan", "--limit", "64", "--epochs", "1", "--batch-size", "32",
                         "--out", tmp_path / "wide")
    assert status == 0, err
    assert train.load_gan(tmp_path / "wide").config["width"] == 16


@pytest.mark.parametrize("name", [name for name, spec in registry.MODELS.items() if spec.pictures])
def test_picture_defaults_apply_to_pictures_only(name):
    # Chapter 07's folders get the spec's `pictures` settings; the digits of chapters 02–06 keep `defaults`;
    # a setting the user gives wins over both.
    spec = registry.MODELS[name]
    digits = train.build_gan(name, seed=0).config
    assert {key: digits[key] for key in spec.pictures} == {key: spec.defaults[key] for key in spec.pictures}
    colour = train.build_gan(name, seed=0, image_size=32, channels=3).config
    assert {key: colour[key] for key in spec.pictures} == dict(spec.pictures)
    grey = train.build_gan(name, seed=0, image_size=32).config
    assert {key: grey[key] for key in spec.pictures} == dict(spec.pictures)
    key, value = next(iter(spec.pictures.items()))
    own = value * 2 if not isinstance(value, str) else value
    assert train.build_gan(name, seed=0, image_size=32, channels=3, **{key: own}).config[key] == own
    assert any(spec.pictures[key] != spec.defaults[key] for key in spec.pictures)  # it changes something


MODELS_WITH_DEPTH = [name for name, spec in registry.MODELS.items() if set(registry.DEPTH) <= set(spec.defaults)]


# The style model's D is a minimax discriminator or, with loss="wgan_gp", a Wasserstein critic: depth reaches both.
@pytest.mark.parametrize("name, more", [(name, {}) for name in MODELS_WITH_DEPTH] + [("style", {"loss": "wgan_gp"})])
def test_depth_settings_reach_each_player_on_its_own(name, more):
    def sizes(**depth):
        gan = train.build_gan(name, seed=0, **small_settings(registry.MODELS[name], **more, **depth))
        return gan.generator.count_params(), gan.discriminator.count_params()

    g, d = sizes(convs_per_block=1, d_convs_per_block=1)
    deep_g, same_d = sizes(convs_per_block=2, d_convs_per_block=1)
    same_g, deep_d = sizes(convs_per_block=1, d_convs_per_block=2)
    assert deep_g > g and same_d == d and same_g == g and deep_d > d
    with pytest.raises(ValueError, match="d_convs_per_block.*at least 1"):
        sizes(d_convs_per_block=0)

