import math

import numpy as np
import pytest
import tensorflow as tf

from ganlib import losses


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
