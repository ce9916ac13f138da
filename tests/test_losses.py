import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import linear_score, zero_generator

from ganlib import losses, steps


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_discriminator_loss_matches_hand_computed_value():
    # D(x) = σ(2) on the real image, D(G(z)) = σ(−1) on the fake one
    expected = -math.log(sigmoid(2.0)) - math.log(1 - sigmoid(-1.0))
    got = losses.discriminator_loss(tf.constant([[2.0]]), tf.constant([[-1.0]]))
    assert float(got) == pytest.approx(expected, rel=1e-6)


def test_discriminator_loss_at_equilibrium_is_2_log_2():
    zeros = tf.zeros((8, 1))  # logit 0 ⇔ D = 1/2 everywhere
    assert float(losses.discriminator_loss(zeros, zeros)) == pytest.approx(2 * math.log(2), rel=1e-6)


def test_generator_losses_match_hand_computed_values():
    logits = tf.constant([[0.5], [-3.0]])
    saturating = np.mean([math.log(1 - sigmoid(0.5)), math.log(1 - sigmoid(-3.0))])
    non_saturating = np.mean([-math.log(sigmoid(0.5)), -math.log(sigmoid(-3.0))])
    assert float(losses.generator_loss_saturating(logits)) == pytest.approx(saturating, rel=1e-6)
    assert float(losses.generator_loss_non_saturating(logits)) == pytest.approx(non_saturating, rel=1e-6)


def test_losses_are_finite_for_extreme_logits():
    big = tf.constant([[100.0], [-100.0]])
    for value in (losses.discriminator_loss(big, big), losses.generator_loss_saturating(big),
                  losses.generator_loss_non_saturating(big)):
        assert np.isfinite(float(value))
    # −log σ(−100) = 100 (+ e^−100): exact, where log(sigmoid(−100)) in float32 is −inf
    assert float(losses.generator_loss_non_saturating(tf.constant([[-100.0]]))) == pytest.approx(100.0)


def test_saturating_gradient_vanishes_where_non_saturating_does_not():
    logit = tf.Variable([[-6.0]])  # D confidently rejects the fake
    grads = {}
    for name, fn in losses.GENERATOR_LOSSES.items():
        with tf.GradientTape() as tape:
            loss = fn(logit)
        grads[name] = abs(float(tape.gradient(loss, logit)[0, 0]))
    # d/dl log(1 − σ(l)) = −σ(l) ≈ 0.0025; d/dl −log σ(l) = σ(l) − 1 ≈ −0.9975
    assert grads["saturating"] == pytest.approx(sigmoid(-6.0), rel=1e-4)
    assert grads["non_saturating"] == pytest.approx(1 - sigmoid(-6.0), rel=1e-4)


def test_r1_penalty_of_a_linear_discriminator_is_the_squared_norm_of_its_weights():
    w = np.random.default_rng(0).standard_normal(784)
    real = tf.constant(np.random.default_rng(1).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32))
    discriminator = linear_score(w)
    logits, penalty = losses.r1_penalty(discriminator, real)
    assert float(penalty) == pytest.approx(float(np.sum(w**2)), rel=1e-5)  # ‖∇x w·x‖² = ‖w‖², at every x
    np.testing.assert_allclose(logits.numpy(), discriminator(real).numpy(), rtol=1e-6)  # the logits it reused


def test_r1_penalty_is_the_mean_over_samples_of_each_gradient_norm():
    # D(x) = ½‖x‖²: ∇x D = x, so the penalty is the batch mean of ‖x‖², one norm per sample
    discriminator = lambda x: 0.5 * tf.reduce_sum(x**2, axis=[1, 2, 3])[:, None]  # noqa: E731
    real = tf.constant(np.random.default_rng(2).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32))
    expected = np.mean(np.sum(real.numpy().reshape(4, -1) ** 2, axis=1))
    _, penalty = losses.r1_penalty(discriminator, real)
    assert float(penalty) == pytest.approx(expected, rel=1e-5)
    _, scaled = losses.r1_penalty(discriminator, real, scale=2.0**10)  # mixed float16's scale changes nothing here
    assert float(scaled) == pytest.approx(expected, rel=1e-5)


def test_the_train_step_adds_half_gamma_r1_to_d_loss_and_its_gradient_gamma_w_to_d_update():
    # D(x) = w·x: R1 = ‖w‖², so (γ/2)·R1 adds (γ/2)·‖w‖² to D's loss and γ·w to its gradient; with plain SGD
    # at rate 1, D's weights end γ·w lower than without the penalty (G draws zeros and does not learn).
    w = np.random.default_rng(3).standard_normal(784) * 0.01
    real = tf.constant(np.random.default_rng(4).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32))
    after, d_loss = {}, {}
    for gamma in (0.0, 2.0):
        discriminator = linear_score(w)
        noise = steps.StepNoise(0, tf.Variable(0, dtype=tf.int64), 4)
        step = steps.make_train_step(zero_generator(2), discriminator, keras.optimizers.SGD(0.0),
                                     keras.optimizers.SGD(1.0), noise, 2, r1_weight=gamma)
        d_loss[gamma] = float(step(real)["d_loss"])
        after[gamma] = discriminator.trainable_variables[0].numpy().ravel()
    assert d_loss[2.0] - d_loss[0.0] == pytest.approx(np.sum(w**2), rel=1e-4)
    np.testing.assert_allclose(after[0.0] - after[2.0], 2.0 * w, rtol=1e-4, atol=1e-7)
