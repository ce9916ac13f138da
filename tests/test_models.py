import numpy as np
import pytest

from ganlib import models


@pytest.mark.parametrize("build, latent_dim", [(models.mlp_generator, 100), (models.dcgan_generator, 64)])
def test_generators_make_28x28_images_in_tanh_range(build, latent_dim):
    generator = build(latent_dim)
    images = generator(np.random.default_rng(0).standard_normal((5, latent_dim)).astype("float32"), training=False)
    assert tuple(images.shape) == (5, 28, 28, 1)
    assert float(np.max(np.abs(images))) <= 1.0


@pytest.mark.parametrize("build", [models.mlp_discriminator, models.dcgan_discriminator])
def test_discriminators_return_one_unbounded_logit_per_image(build):
    discriminator = build()
    images = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype("float32")
    logits = discriminator(images, training=False)
    assert tuple(logits.shape) == (3, 1)
    assert discriminator.layers[-1].activation.__name__ == "linear"  # logits, not probabilities


def test_mlp_sizes_follow_the_chapter():
    dense_units = [layer.units for layer in models.mlp_generator().layers if hasattr(layer, "units")]
    assert dense_units == [256, 512, 1024, 784]
    dropouts = [layer.rate for layer in models.mlp_discriminator().layers if hasattr(layer, "rate")]
    assert dropouts == [0.3, 0.3, 0.3]
