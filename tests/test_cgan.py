import numpy as np
import pytest
import tensorflow as tf

from ganlib import models, train


def test_conditional_networks_take_labels_and_check_shapes():
    generator = models.cgan_generator(latent_dim=8, width=4)
    discriminator = models.cgan_discriminator(width=4)
    z, labels = tf.random.normal((5, 8)), tf.constant([0, 1, 2, 9, 9])
    images = generator([z, labels])
    assert images.shape == (5, 28, 28, 1)
    assert discriminator([images, labels]).shape == (5, 1)


def test_the_label_changes_the_image_and_the_score():
    generator = models.cgan_generator(latent_dim=8, width=4)
    discriminator = models.cgan_discriminator(width=4)
    z = tf.random.normal((1, 8))
    a, b = generator([z, tf.constant([3])]), generator([z, tf.constant([7])])
    assert not np.allclose(a, b)
    x = tf.random.normal((1, 28, 28, 1))
    assert not np.allclose(discriminator([x, tf.constant([3])]), discriminator([x, tf.constant([7])]))


def test_synthesise_from_a_class_embedding_equals_the_label_path():
    generator = models.cgan_generator(latent_dim=8, width=4)
    z, labels = tf.random.normal((3, 8)), tf.constant([1, 4, 8])
    vectors = generator.get_layer("class_embedding")(labels)
    np.testing.assert_allclose(models.synthesise(generator, z, vectors), generator([z, labels], training=False),
                               atol=1e-6)


def test_a_conditional_step_trains_on_images_and_labels(tmp_path):
    rng = np.random.default_rng(0)
    images = ((rng.uniform(size=(64, 28, 28)) > 0.5) * 255).astype(np.uint8)
    labels = rng.integers(0, 10, 64)
    gan = train.build_gan("cgan", seed=0, width=4, batch_size=16)
    before = [w.numpy().copy() for w in gan.discriminator.get_layer("projection").weights]
    result = train.fit(gan, images, 1, tmp_path, labels=labels, progress=False, verbose=False)
    assert int(gan.step.numpy()) == 4 and np.all(np.isfinite(result.history.steps["d_loss"]))
    after = gan.discriminator.get_layer("projection").weights
    assert not np.allclose(before[0], after[0].numpy())  # the label path gets gradients
    grid = train.load_gan(tmp_path).grid_images()
    assert grid.shape == (80, 28, 28, 1)  # 10 classes × 8 latents


def test_a_conditional_gan_needs_labels(tmp_path):
    gan = train.build_gan("cgan", seed=0, width=4, batch_size=16)
    with pytest.raises(ValueError, match="conditional: pass the images' labels"):
        train.fit(gan, np.zeros((32, 28, 28), np.uint8), 1, tmp_path / "run", progress=False, verbose=False)
    assert not (tmp_path / "run").exists()


def test_sample_labels_default_to_every_class_in_turn_and_are_checked():
    gan = train.build_gan("cgan", seed=0, width=4)
    np.testing.assert_array_equal(gan.sample_labels(12), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    assert gan.sample(4, seed=1, labels=7).shape == (4, 28, 28, 1)
    with pytest.raises(ValueError, match="between 0 and 9"):
        gan.sample(4, labels=10)
