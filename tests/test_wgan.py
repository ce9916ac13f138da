"""Chapter 03: Wasserstein, gradient-penalty and least-squares losses, and the WGAN-GP critic loop."""

import keras
import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

from helpers import linear_score, zero_generator

from ganlib import losses, models, steps, train


def images(n, seed):
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32))


def test_wasserstein_losses_match_hand_computed_values():
    real, fake = tf.constant([[1.0], [3.0]]), tf.constant([[-2.0], [0.5]])
    assert float(losses.critic_loss(real, fake)) == pytest.approx(-0.75 - 2.0)
    assert float(losses.wasserstein_generator_loss(fake)) == pytest.approx(0.75)


@pytest.mark.parametrize("norm", [1.0, 0.3, 2.5])
def test_gradient_penalty_of_a_linear_critic_is_exact(norm):
    w = np.random.default_rng(0).standard_normal(784)
    critic = linear_score(norm * w / np.linalg.norm(w))
    penalty = float(losses.gradient_penalty(critic, images(8, 1), images(8, 2)))
    assert penalty == pytest.approx((norm - 1.0) ** 2, abs=1e-5)


def test_gradient_penalty_uses_one_uniform_epsilon_per_sample():
    # f(x) = ½‖x‖²: ∇f(x̂) = x̂, so each sample's penalty depends on its own ε
    x = keras.Input(models.IMAGE_SHAPE)
    critic = keras.Model(x, keras.layers.Lambda(lambda t: 0.5 * tf.reduce_sum(t**2, axis=[1, 2, 3])[:, None])(x))
    real, fake = images(4, 3), images(4, 4)
    epsilon = losses.interpolation_weights(4, tf.random.Generator.from_seed(5))
    x_hat = epsilon * real + (1 - epsilon) * fake
    expected = np.mean((np.linalg.norm(x_hat.numpy().reshape(4, -1), axis=1) - 1) ** 2)
    got = losses.gradient_penalty(critic, real, fake, rng=tf.random.Generator.from_seed(5))
    assert float(got) == pytest.approx(expected, rel=1e-5)

    draws = losses.interpolation_weights(20_000, tf.random.Generator.from_seed(6)).numpy()
    assert draws.shape == (20_000, 1, 1, 1)
    assert scipy.stats.kstest(draws.ravel(), "uniform").pvalue > 0.01  # Uniform[0, 1], not Normal
    assert len(np.unique(draws[:100])) == 100  # a different ε for every sample


def test_gradient_penalty_is_finite_when_real_equals_fake_and_the_gradient_is_zero():
    critic = linear_score(np.zeros(784))  # ∇f = 0: √0 has an infinite derivative without the guard
    real = images(4, 7)
    with tf.GradientTape() as tape:
        penalty = losses.gradient_penalty(critic, real, real)
    grads = tape.gradient(penalty, critic.trainable_variables)
    assert float(penalty) == pytest.approx(1.0, abs=1e-5)
    assert all(np.all(np.isfinite(g.numpy())) for g in grads)


def test_weight_clipping_bounds_every_critic_weight():
    critic = models.wgan_critic(width=4)
    losses.clip_weights(critic, 0.01)
    assert max(float(tf.reduce_max(tf.abs(v))) for v in critic.trainable_variables) <= 0.01


def test_lsgan_losses_match_hand_computed_values():
    real, fake = tf.constant([[0.8], [1.4]]), tf.constant([[0.1], [-0.3]])
    d = 0.5 * np.mean([(0.8 - 1) ** 2, (1.4 - 1) ** 2]) + 0.5 * np.mean([0.1**2, 0.3**2])
    g = 0.5 * np.mean([(0.1 - 1) ** 2, (-0.3 - 1) ** 2])
    assert float(losses.lsgan_discriminator_loss(real, fake)) == pytest.approx(d, rel=1e-6)
    assert float(losses.lsgan_generator_loss(fake)) == pytest.approx(g, rel=1e-6)
    assert float(losses.lsgan_discriminator_loss(real, fake, a=-1.0, b=1.0)) == pytest.approx(
        0.5 * np.mean([0.04, 0.16]) + 0.5 * np.mean([1.1**2, 0.7**2]), rel=1e-6)


def test_the_critic_loop_takes_a_different_real_batch_for_each_critic_update():
    # With f(x) = w·x, fakes that are all 0 and plain SGD at rate 1 without penalty, critic update i moves
    # w by mean(real_i): after the loop w has moved by the sum of the n_critic batch means.
    n_critic, batch = 3, 4
    generator = zero_generator(2)
    critic = linear_score(np.zeros(784))
    noise = steps.StepNoise(0, tf.Variable(0, dtype=tf.int64), batch)
    step = steps.make_critic_step(generator, critic, keras.optimizers.SGD(0.0), keras.optimizers.SGD(1.0), noise, 2,
                                  n_critic=n_critic, gp_weight=0.0)
    real_batches = tf.stack([images(batch, seed) for seed in range(n_critic)], axis=1)  # (batch, n_critic, ...)
    step(real_batches)
    moved = critic.trainable_variables[0].numpy().ravel()
    expected = tf.reduce_sum(tf.reduce_mean(real_batches, axis=0), axis=0).numpy().ravel()
    np.testing.assert_allclose(moved, expected, rtol=1e-5, atol=1e-6)


def test_a_single_critic_update_still_gets_a_stack_of_one_batch():
    gan = train.build_gan("wgan_gp", seed=0, width=4, batch_size=8, n_critic=1)
    assert np.isfinite(float(gan.train_step(tf.zeros((8, 1, 28, 28, 1)))["wasserstein"]))
    with pytest.raises(ValueError, match="n_critic=0: it must be between 1 and 15"):
        train.build_gan("wgan_gp", n_critic=0)


def digits_like(n, seed=0):
    return ((np.random.default_rng(seed).uniform(size=(n, 28, 28)) > 0.5) * 255).astype(np.uint8)


def test_wgan_gp_trains_checkpoints_and_resumes(tmp_path):
    gan = train.build_gan("wgan_gp", seed=0, width=4, batch_size=8, n_critic=2)
    result = train.fit(gan, digits_like(64), 1, tmp_path, progress=False, verbose=False)  # 4 steps of 2 batches
    assert int(gan.step.numpy()) == 4
    assert int(gan.d_optimizer.iterations.numpy()) == 8 and int(gan.g_optimizer.iterations.numpy()) == 4
    assert set(result.history.steps) >= {"d_loss", "g_loss", "gradient_penalty", "wasserstein"}
    assert all(np.isfinite(result.history.steps["wasserstein"]))
    assert int(train.load_gan(tmp_path).step.numpy()) == 4


def test_the_weight_clipped_wgan_keeps_every_critic_weight_within_c(tmp_path):
    gan = train.build_gan("wgan", seed=0, width=4, batch_size=8, clip_value=0.02)
    assert gan.config["optimizer"] == "rmsprop" and gan.batches_per_step == 5
    train.fit(gan, digits_like(80), 1, tmp_path, progress=False, verbose=False)  # 2 steps of 5 critic updates
    assert int(gan.d_optimizer.iterations.numpy()) == 10
    largest = max(float(np.max(np.abs(np.asarray(v)))) for v in gan.discriminator.trainable_variables)
    assert 0.019 < largest <= 0.02  # clipped, and the clip is reached (RMSprop's first steps are ~lr·√10)


def test_layer_norm_in_the_critic_is_a_setting():
    plain = train.build_gan("wgan_gp", width=4)
    normed = train.build_gan("wgan_gp", width=4, layer_norm=True)
    kinds = lambda gan: {type(layer).__name__ for layer in gan.discriminator.layers}
    assert "LayerNormalization" in kinds(normed) and "LayerNormalization" not in kinds(plain)
