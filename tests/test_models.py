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


def _convs(model):
    """(kernel size, stride, output height) of each Conv2D / Conv2DTranspose of ``model``, in order."""
    return [(layer.kernel_size[0], layer.strides[0], layer.output.shape[1]) for layer in model.layers
            if "conv2d" in type(layer).__name__.lower()]


@pytest.mark.parametrize("size, resolutions", [(28, [7, 14]), (32, [4, 8, 16])])
def test_convs_per_block_adds_a_3x3_convolution_at_each_resolution_below_the_image(size, resolutions):
    shallow = models.dcgan_generator(64, 16, (size, size, 1))
    deep = models.dcgan_generator(64, 16, (size, size, 1), convs_per_block=2)
    assert [c for c in _convs(shallow) if c[0] == 3] == []
    assert [c for c in _convs(deep) if c[0] == 3] == [(3, 1, r) for r in resolutions]
    assert [c for c in _convs(deep) if c[0] == 4] == _convs(shallow)  # the upsampling path is the same
    images = deep(np.zeros((2, 64), "float32"), training=False)
    assert tuple(images.shape) == (2, size, size, 1)


@pytest.mark.parametrize("size", [28, 32])
def test_full_resolution_channels_give_g_feature_maps_at_the_image_size_and_a_3x3_convolution_draws_it(size):
    plain = models.dcgan_generator(64, 16, (size, size, 1))
    staged = models.dcgan_generator(64, 16, (size, size, 1), convs_per_block=2, full_resolution_channels=8)
    last = [layer for layer in staged.layers if "conv2d" in type(layer).__name__.lower()][-3:]
    assert [(type(c).__name__, c.filters, c.output.shape[1]) for c in last] == [
        ("Conv2DTranspose", 8, size), ("Conv2D", 8, size), ("Conv2D", 1, size)]
    assert _convs(plain)[-1] == (4, 2, size)  # 0: the last transposed convolution draws the pixels
    assert [c for c in _convs(staged) if c[0] == 4] == _convs(plain)
    images = staged(np.zeros((2, 64), "float32"), training=False)
    assert tuple(images.shape) == (2, size, size, 1)


@pytest.mark.parametrize("build", [models.dcgan_discriminator, models.wgan_critic])
def test_discriminator_depth_follows_each_strided_convolution_with_a_3x3_one(build):
    deep = build(16, convs_per_block=3)
    assert _convs(deep) == [(4, 2, 14), (3, 1, 14), (3, 1, 14), (4, 2, 7), (3, 1, 7), (3, 1, 7)]
    assert _convs(build(16)) == [(4, 2, 14), (4, 2, 7)]
    assert tuple(deep(np.zeros((3, 28, 28, 1), "float32")).shape) == (3, 1)
