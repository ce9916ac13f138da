"""ganlib.exercises: the reference solutions pass, each known mistake is named, other right answers pass too,
stubs read as not attempted, and the solutions switch works for nbval."""

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest
import scipy.linalg
import tensorflow as tf
from keras import layers

from ganlib import _nbval_exercises, augment, exercises, losses
from ganlib._nbval_exercises import SOLUTIONS_ENV

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def learner_mode(monkeypatch):
    # conftest.py turns the solutions switch on for the whole test run; here each test chooses
    monkeypatch.delenv(SOLUTIONS_ENV, raising=False)


def solution(name):
    """The function defined by exercise ``name``'s reference solution file."""
    namespace = {}
    exec(exercises.solution_source(name), namespace)
    return namespace[exercises._EXERCISES[name].function]


def verdict(name, fn, capsys):
    result = exercises.check(name, fn)
    printed = capsys.readouterr().out
    assert printed.strip() == result.message  # what is printed is what is returned
    assert "Traceback" not in printed
    return result


# --- the API --------------------------------------------------------------------------------------------------


def test_every_chapter_has_at_least_two_code_exercises():
    for chapter in range(1, 8):
        assert len(exercises.list_exercises(chapter)) >= 2, chapter
    assert exercises.list_exercises("ch03") == exercises.list_exercises("03") == exercises.list_exercises(3)
    assert exercises.list_exercises(2) == ["ch02.train_step", "ch02.slerp"]  # the chapter's order
    assert [name[:4] for name in exercises.list_exercises()] == sorted(name[:4] for name in exercises.list_exercises())


@pytest.mark.parametrize("name", exercises.list_exercises())
def test_reference_solution_passes(name, capsys):
    assert (REPO / "solutions" / f"{name.replace('.', '_')}.py").is_file()
    result = verdict(name, solution(name), capsys)
    assert result.passed and result.attempted, result.message
    assert result.message.startswith(f"✔ {name}: passed.")


@pytest.mark.parametrize("name", exercises.list_exercises())
def test_a_stub_is_not_attempted(name, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError

    result = verdict(name, stub, capsys)
    assert not result.passed and not result.attempted
    assert "not attempted yet" in result.message


def test_a_not_implemented_error_from_a_library_is_an_error_not_a_stub(capsys):
    def conditional_discriminator(num_classes, image_shape=(28, 28, 1)):
        label = keras.Input((), dtype="int32")
        layers.Lambda(lambda t: tf.one_hot(t, num_classes))(label)  # Keras cannot infer this Lambda's shape

    result = verdict("ch06.conditional_discriminator", conditional_discriminator, capsys)
    assert result.attempted and "raised NotImplementedError: We could not automatically infer" in result.message


@pytest.mark.parametrize("returned", [None, Ellipsis])
def test_a_stub_that_returns_nothing_is_not_attempted(returned, capsys):
    result = verdict("ch04.truncate", lambda w, w_avg, psi: returned, capsys)
    assert not result.attempted and "not attempted yet" in result.message and "return" in result.message


def test_an_error_in_the_learners_code_is_one_line_not_a_traceback(capsys):
    def adain(x, y_s, y_b, epsilon=1e-5):
        raise ValueError("shapes do not match")

    result = verdict("ch04.adain", adain, capsys)
    assert not result.passed
    assert "raised ValueError: shapes do not match" in result.message
    assert "x (shape (3, 3, 4, 5))" in result.message and "y_s (shape (3, 5))" in result.message
    assert len(result.message.splitlines()) <= 2


def test_a_broadcasting_error_gets_a_hint_about_shapes(capsys):
    def truncate(w, w_avg, psi):
        return w_avg[:3] + psi * (w - w_avg[:3])

    result = verdict("ch04.truncate", truncate, capsys)
    assert "raised ValueError" in result.message and "Hint:" in result.message


def test_the_solutions_switch_makes_a_wrong_answer_raise(monkeypatch, capsys):
    monkeypatch.setenv(SOLUTIONS_ENV, "1")
    with pytest.raises(AssertionError, match="minus sign is missing"):
        exercises.check("ch01.generator_loss", lambda logits: -losses.generator_loss_non_saturating(logits))
    with pytest.raises(AssertionError, match="not attempted"):
        exercises.check("ch04.truncate", lambda w, w_avg, psi: None)
    assert exercises.check("ch04.truncate", solution("ch04.truncate")).passed  # a right answer still passes
    monkeypatch.setenv(SOLUTIONS_ENV, "0")
    assert not exercises.check("ch04.truncate", lambda w, w_avg, psi: w).passed  # off: it only prints


def test_unknown_names_and_missing_functions(capsys):
    with pytest.raises(ValueError, match="did you mean 'ch03.gradient_penalty'"):
        exercises.check("ch03.gradient_penality", lambda *a: None)
    with pytest.raises(ValueError, match="no exercise"):
        exercises.solution_source("ch09.nothing")
    result = verdict("ch04.truncate", 3.0, capsys)
    assert not result.passed and "expected your function `truncate`" in result.message


def test_the_result_shows_itself_only_once_in_a_notebook():
    result = exercises.Result("ch04.truncate", True, "✔ ch04.truncate: passed.")
    assert bool(result) and str(result) == result.message
    assert result._ipython_display_() is None  # IPython calls this instead of echoing the printed verdict


# --- known mistakes are named -----------------------------------------------------------------------------------

bce_logits = keras.losses.BinaryCrossentropy(from_logits=True)
bce_probabilities = keras.losses.BinaryCrossentropy()


def d_loss_sigmoid_twice(real_logits, fake_logits):
    return (bce_logits(tf.ones_like(real_logits), tf.sigmoid(real_logits))
            + bce_logits(tf.zeros_like(fake_logits), tf.sigmoid(fake_logits)))


def d_loss_logits_as_probabilities(real_logits, fake_logits):
    return bce_probabilities(tf.ones_like(real_logits), real_logits) + bce_probabilities(tf.zeros_like(fake_logits),
                                                                                         fake_logits)


def d_loss_missing_minus(real_logits, fake_logits):
    return tf.reduce_mean(tf.math.log_sigmoid(real_logits)) + tf.reduce_mean(tf.math.log_sigmoid(-fake_logits))


def d_loss_naive_logs(real_logits, fake_logits):
    return (-tf.reduce_mean(tf.math.log(tf.sigmoid(real_logits)))
            - tf.reduce_mean(tf.math.log(1 - tf.sigmoid(fake_logits))))


def d_loss_clipped(real_logits, fake_logits):
    return bce_probabilities(tf.ones_like(real_logits), tf.sigmoid(real_logits)) + bce_probabilities(
        tf.zeros_like(fake_logits), tf.sigmoid(fake_logits))


def normal_pdf(x, mean, std):
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


def slerp_without_guard(a, b, t):
    cos = np.sum(a * b, -1, keepdims=True) / (np.linalg.norm(a, axis=-1, keepdims=True)
                                               * np.linalg.norm(b, axis=-1, keepdims=True))
    omega = np.arccos(cos)
    return np.sin((1 - t) * omega) / np.sin(omega) * a + np.sin(t * omega) / np.sin(omega) * b


def penalty(epsilon_shape="per_sample", distribution="uniform", norm="per_sample", weight=1.0):
    """A gradient penalty with one of the known mistakes switched on."""

    def gradient_penalty(critic, real, fake):
        n = tf.shape(real)[0]
        shape = {"per_sample": [n, 1, 1, 1], "per_batch": [], "per_pixel": tf.shape(real)}[epsilon_shape]
        epsilon = tf.random.uniform(shape) if distribution == "uniform" else tf.random.normal(shape)
        x_hat = epsilon * real + (1 - epsilon) * fake
        with tf.GradientTape() as tape:
            tape.watch(x_hat)
            scores = critic(x_hat, training=True)
        grads = tape.gradient(scores, x_hat)
        norms = {"per_sample": lambda g: tf.sqrt(tf.reduce_sum(g ** 2, axis=[1, 2, 3]) + 1e-12),
                 "last_axis": lambda g: tf.norm(g, axis=-1),
                 "whole_batch": lambda g: tf.norm(g),
                 "no_epsilon": lambda g: tf.norm(tf.reshape(g, [n, -1]), axis=1)}[norm](grads)
        return weight * tf.reduce_mean((norms - 1.0) ** 2)

    return gradient_penalty


def clip_all_weights(critic, clip_value=0.01):
    critic.set_weights([np.clip(w, -clip_value, clip_value) for w in critic.get_weights()])


def clip_kernels_only(critic, clip_value=0.01):
    for variable in critic.trainable_variables:
        if variable.path.endswith("kernel"):
            variable.assign(tf.clip_by_value(variable, -clip_value, clip_value))


def adain_over(axes, ddof=0, epsilon_inside=True):
    def adain(x, y_s, y_b, epsilon=1e-5):
        x = np.asarray(x, np.float64)
        mean = x.mean(axis=axes, keepdims=True)
        std = np.sqrt(x.var(axis=axes, ddof=ddof, keepdims=True) + (epsilon if epsilon_inside else 0.0))
        return y_s[:, None, None, :] * (x - mean) / std + y_b[:, None, None, :]

    return adain


def fid_with(cross="sqrtm", diagonal=False, trace_term=True, complex_root=False):
    def frechet_distance(a, b):
        cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
        if diagonal:
            cov_a, cov_b = np.diag(np.diag(cov_a)), np.diag(np.diag(cov_b))
        mean_term = np.sum((a.mean(0) - b.mean(0)) ** 2)
        if not trace_term:
            return mean_term
        covmean = {"sqrtm": lambda: scipy.linalg.sqrtm(cov_a @ cov_b),
                   "product_of_roots": lambda: scipy.linalg.sqrtm(cov_a) @ scipy.linalg.sqrtm(cov_b),
                   "elementwise": lambda: np.sqrt(cov_a @ cov_b)}[cross]()
        if complex_root:  # what sqrtm returns when rounding leaves a tiny imaginary part, kept
            return mean_term + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(covmean.astype(complex))
        return float(mean_term + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(np.real(covmean)))

    return frechet_distance


def mmd_kernel_without_d(x, y):
    k_xx, k_yy, k_xy = (x @ x.T + 1) ** 3, (y @ y.T + 1) ** 3, (x @ y.T + 1) ** 3
    m, n = len(x), len(y)
    return ((k_xx.sum() - np.trace(k_xx)) / (m * (m - 1)) + (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
            - 2 * k_xy.mean())


def mmd_biased(x, y):
    d = x.shape[1]
    return (((x @ x.T / d + 1) ** 3).mean() + ((y @ y.T / d + 1) ** 3).mean()
            - 2 * ((x @ y.T / d + 1) ** 3).mean())


def label_maps(depth):
    def condition_on_label(images, labels, num_classes):
        one_hot = tf.one_hot(labels, depth(labels, num_classes))
        maps = tf.broadcast_to(one_hot[:, None, None, :], tuple(images.shape[:3]) + (one_hot.shape[-1],))
        return tf.concat([images, maps], axis=-1)

    return condition_on_label


def prepended_labels(images, labels, num_classes):
    one_hot = tf.one_hot(labels, num_classes)
    return tf.concat([tf.broadcast_to(one_hot[:, None, None, :], tuple(images.shape[:3]) + (num_classes,)), images], -1)


def unused_labels(images, labels, num_classes):
    return tf.concat([images, tf.zeros(tuple(images.shape[:3]) + (num_classes,))], axis=-1)


def small_discriminator(label_input_to_features, final_activation=None):
    """A conv D whose label path is ``label_input_to_features(label) → vector`` (None: the label is ignored)."""

    def conditional_discriminator(num_classes, image_shape=(28, 28, 1)):
        image = keras.Input(image_shape)
        label = keras.Input((), dtype="int32")
        h = layers.Flatten()(layers.LeakyReLU(0.2)(layers.Conv2D(8, 3, strides=2, padding="same")(image)))
        if label_input_to_features is not None:
            h = layers.Concatenate()([h, label_input_to_features(label, num_classes)])
        logit = layers.Dense(1, activation=final_activation)(layers.Dense(16, activation="relu")(h))
        return keras.Model([image, label], logit)

    return conditional_discriminator


def one_hot_of_depth_10(label, num_classes):
    return keras.ops.one_hot(label, 10)  # labels 10 and 11 become all-zero vectors


def embedding(size):
    return lambda label, num_classes: layers.Flatten()(layers.Embedding(size(num_classes), 4)(label))


def step_maker(one_tape_loss=None, g_training=True, d_training=True, compile="once", swap_optimizers=False):
    """make_train_step with one of the known mistakes switched on."""

    def make_train_step(generator, discriminator, g_optimizer, d_optimizer):
        if swap_optimizers:
            g_optimizer, d_optimizer = d_optimizer, g_optimizer

        def step(real_images, z):
            with tf.GradientTape(persistent=True) as tape:
                fake_logits = discriminator(generator(z, training=g_training), training=d_training)
                d_loss = losses.discriminator_loss(discriminator(real_images, training=d_training), fake_logits)
                g_loss = losses.generator_loss_non_saturating(fake_logits)
            d_source = {"g_loss": g_loss}.get(one_tape_loss, d_loss)
            g_source = {"d_loss": d_loss}.get(one_tape_loss, g_loss)
            d_optimizer.apply_gradients(zip(tape.gradient(d_source, discriminator.trainable_variables),
                                            discriminator.trainable_variables))
            g_optimizer.apply_gradients(zip(tape.gradient(g_source, generator.trainable_variables),
                                            generator.trainable_variables))
            return d_loss, g_loss

        if compile == "never":
            return step
        if compile == "every_call":
            return lambda real_images, z: tf.function(step)(real_images, z)
        return tf.function(step)

    return make_train_step


def one_non_persistent_tape(generator, discriminator, g_optimizer, d_optimizer):
    @tf.function
    def step(real_images, z):
        with tf.GradientTape() as tape:
            fake_logits = discriminator(generator(z, training=True), training=True)
            d_loss = losses.discriminator_loss(discriminator(real_images, training=True), fake_logits)
            g_loss = losses.generator_loss_non_saturating(fake_logits)
        tape.gradient(d_loss, discriminator.trainable_variables)
        tape.gradient(g_loss, generator.trainable_variables)
        return d_loss, g_loss

    return step


MISTAKES = [
    # ch01
    ("ch01.discriminator_loss", d_loss_sigmoid_twice, "sigmoid is applied twice"),
    ("ch01.discriminator_loss", d_loss_logits_as_probabilities, "treats the logits as probabilities"),
    ("ch01.discriminator_loss", d_loss_missing_minus, "minus sign is missing"),
    ("ch01.discriminator_loss", lambda r, f: losses.discriminator_loss(f, r), "real and fake are swapped"),
    ("ch01.discriminator_loss", lambda r, f: tf.reduce_sum(tf.nn.softplus(-r)) + tf.reduce_sum(tf.nn.softplus(f)),
     "sums over the batch"),
    ("ch01.discriminator_loss", lambda r, f: tf.nn.softplus(-r) + tf.nn.softplus(f), "a loss is one number"),
    ("ch01.discriminator_loss", d_loss_naive_logs, "inf or NaN when D is confidently wrong"),
    ("ch01.discriminator_loss", d_loss_clipped, "probabilities were clipped"),
    ("ch01.generator_loss", losses.generator_loss_saturating, "this is the saturating loss"),
    ("ch01.generator_loss", lambda f: tf.reduce_mean(tf.nn.softplus(f)), "G would help D"),
    ("ch01.generator_loss", lambda f: bce_logits(tf.ones_like(f), tf.sigmoid(f)), "sigmoid is applied twice"),
    ("ch01.generator_loss", lambda f: tf.reduce_mean(tf.math.log_sigmoid(f)), "minus sign is missing"),
    ("ch01.optimal_discriminator", lambda x, data, fake: normal_pdf(x, *fake) / (normal_pdf(x, *data)
                                                                                 + normal_pdf(x, *fake)),
     "probability that x is fake"),
    ("ch01.optimal_discriminator", lambda x, data, fake: normal_pdf(x, *data) / normal_pdf(x, *fake), "density ratio"),
    ("ch01.optimal_discriminator",
     lambda x, data, fake: (lambda p, q: p / (p + q))(np.exp(-0.5 * ((x - data[0]) / data[1]) ** 2),
                                                     np.exp(-0.5 * ((x - fake[0]) / fake[1]) ** 2)),
     "normalising constant"),
    ("ch01.optimal_discriminator",
     lambda x, data, fake: (lambda p, q: p / (p + q))(normal_pdf(x, data[0], np.sqrt(data[1])),
                                                     normal_pdf(x, fake[0], np.sqrt(fake[1]))),
     "uses the std where the variance belongs"),
    # ch02
    ("ch02.slerp", lambda a, b, t: (1 - t) * a + t * b, "straight line"),
    ("ch02.slerp", lambda a, b, t: slerp_without_guard(b, a, t), "runs backwards"),
    ("ch02.slerp", lambda a, b, t: slerp_without_guard(a / np.linalg.norm(a, axis=-1, keepdims=True),
                                                       b / np.linalg.norm(b, axis=-1, keepdims=True), t),
     "latents were normalised"),
    ("ch02.slerp", slerp_without_guard, "NaN when a and b point the same way"),
    ("ch02.train_step", step_maker(one_tape_loss="d_loss"), "generator was updated with the gradients of d_loss"),
    ("ch02.train_step", step_maker(one_tape_loss="g_loss"), "discriminator was updated with the gradients of g_loss"),
    ("ch02.train_step", step_maker(g_training=None), "generator was called without training=True"),
    ("ch02.train_step", step_maker(d_training=False), "discriminator was called without training=True"),
    ("ch02.train_step", step_maker(swap_optimizers=True), "each player steps with its own optimizer"),
    ("ch02.train_step", step_maker(compile="never"), "runs eagerly"),
    ("ch02.train_step", step_maker(compile="every_call"), "traced again on every call"),
    ("ch02.train_step", one_non_persistent_tape, "one tape per player"),
    # ch03
    ("ch03.gradient_penalty", penalty(epsilon_shape="per_batch"), "one ε for the whole batch"),
    ("ch03.gradient_penalty", penalty(distribution="normal"), "drawn from a Normal"),
    ("ch03.gradient_penalty", penalty(epsilon_shape="per_pixel"), "one ε per pixel"),
    ("ch03.gradient_penalty", penalty(norm="last_axis"), "norm is taken over the wrong axes (the channel axis only)"),
    ("ch03.gradient_penalty", penalty(norm="whole_batch"), "wrong axes (one norm for the whole batch)"),
    ("ch03.gradient_penalty", penalty(norm="no_epsilon"), "gradient is NaN where the critic's gradient is zero"),
    ("ch03.gradient_penalty", penalty(weight=10.0), "multiplied by λ = 10"),
    ("ch03.clip_weights", lambda critic, c: [tf.clip_by_value(v, -c, c) for v in critic.trainable_variables],
     "weights did not change"),
    ("ch03.clip_weights", clip_all_weights, "moving mean and variance were clipped too"),
    ("ch03.clip_weights", clip_kernels_only, "some weights were not clipped"),
    ("ch03.clip_weights", lambda critic, c: [v.assign(tf.clip_by_value(v, 0.0, c)) for v in critic.trainable_variables],
     "negative weights were set to 0"),
    ("ch03.clip_weights", lambda critic, c: [v.assign(tf.clip_by_value(v, -0.01, 0.01))
                                             for v in critic.trainable_variables], "clip_value was 0.05"),
    # ch04
    ("ch04.adain", adain_over((0, 1, 2)), "taken over axes (0, 1, 2)"),
    ("ch04.adain", adain_over((1, 2, 3)), "taken over axes (1, 2, 3)"),
    ("ch04.adain", adain_over((1, 2), ddof=1), "unbiased std"),
    ("ch04.adain", lambda x, y_s, y_b, epsilon=1e-5: adain_over((1, 2))(x, y_b, y_s), "scale and bias are swapped"),
    ("ch04.adain", adain_over((1, 2), epsilon_inside=False), "NaN on a constant channel"),
    ("ch04.truncate", lambda w, w_avg, psi: w_avg + (1 - psi) * (w - w_avg), "ψ works backwards"),
    ("ch04.truncate", lambda w, w_avg, psi: psi * w, "shrinks towards 0"),
    ("ch04.truncate", lambda w, w_avg, psi: w_avg + psi * (w_avg - w), "moves away from w"),
    # ch05
    ("ch05.frechet_distance", fid_with(trace_term=False), "trace term is missing"),
    ("ch05.frechet_distance", fid_with(cross="product_of_roots"), "square root is of the wrong product"),
    ("ch05.frechet_distance", fid_with(cross="elementwise"), "element by element"),
    ("ch05.frechet_distance", fid_with(diagonal=True), "only the diagonal of the covariances"),
    ("ch05.frechet_distance", fid_with(complex_root=True), "complex numbers"),
    ("ch05.mmd2_unbiased", mmd_biased, "biased estimate"),
    ("ch05.mmd2_unbiased", mmd_kernel_without_d, "division by the dimension"),
    # ch06
    ("ch06.condition_on_label", label_maps(lambda labels, k: 10), "depth 10 is hard-coded"),
    ("ch06.condition_on_label", label_maps(lambda labels, k: int(np.max(labels)) + 1), "their maximum + 1"),
    ("ch06.condition_on_label", unused_labels, "the labels are not used"),
    ("ch06.condition_on_label", prepended_labels, "come before the image channels"),
    ("ch06.conditional_discriminator", small_discriminator(None), "labels are not used by D"),
    ("ch06.conditional_discriminator", small_discriminator(one_hot_of_depth_10), "one-hot of depth 10"),
    ("ch06.conditional_discriminator", small_discriminator(embedding(lambda k: 10)), "size it num_classes"),
    ("ch06.conditional_discriminator", small_discriminator(embedding(lambda k: k), "sigmoid"), "ends in a sigmoid"),
    # ch07
    ("ch07.translate", lambda images, shifts: tf.stack([tf.roll(x, (-dy, -dx), (0, 1))
                                                        for x, (dy, dx) in zip(images, shifts.tolist())]),
     "wraps around"),
    ("ch07.translate", lambda images, shifts: augment.translate(images, -shifts), "moves the other way"),
    ("ch07.translate", lambda images, shifts: augment.translate(images, shifts[:, ::-1]), "dy and dx are swapped"),
    ("ch07.augmented_d_loss", lambda d, real, fake, aug: losses.discriminator_loss(d(aug(real)), d(fake)),
     "only the real images are augmented"),
    ("ch07.augmented_d_loss", lambda d, real, fake, aug: losses.discriminator_loss(d(real), d(aug(fake))),
     "only the fake images are augmented"),
    ("ch07.augmented_d_loss", lambda d, real, fake, aug: losses.discriminator_loss(d(real), d(fake)),
     "never saw an augmented image"),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the wrong answers divide by zero on purpose
@pytest.mark.parametrize("name, wrong, phrase", MISTAKES, ids=[f"{m[0]}-{m[2][:30]}" for m in MISTAKES])
def test_a_known_mistake_is_named(name, wrong, phrase, capsys):
    result = verdict(name, wrong, capsys)
    assert not result.passed and result.attempted
    assert result.message.startswith(f"✘ {name}: ")
    assert phrase in result.message, result.message


# --- right answers written differently pass ---------------------------------------------------------------------


def d_loss_python_loop(real_logits, fake_logits):
    import math

    def softplus(v):
        return max(v, 0.0) + math.log1p(math.exp(-abs(v)))

    real, fake = np.ravel(real_logits).tolist(), np.ravel(fake_logits).tolist()
    return sum(softplus(-v) for v in real) / len(real) + sum(softplus(v) for v in fake) / len(fake)


def alternating_train_step(generator, discriminator, g_optimizer, d_optimizer):
    """The original algorithm: D steps first, then G steps against the updated D."""

    @tf.function
    def step(real_images, z):
        with tf.GradientTape() as tape:
            fake_logits = discriminator(generator(z, training=True), training=True)
            d_loss = losses.discriminator_loss(discriminator(real_images, training=True), fake_logits)
        d_optimizer.apply_gradients(zip(tape.gradient(d_loss, discriminator.trainable_variables),
                                        discriminator.trainable_variables))
        with tf.GradientTape() as tape:
            g_loss = losses.generator_loss_non_saturating(discriminator(generator(z, training=True), training=True))
        g_optimizer.apply_gradients(zip(tape.gradient(g_loss, generator.trainable_variables),
                                        generator.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss}

    return step


def penalty_one_sample_at_a_time(critic, real, fake):
    """ε and the gradient per sample in a Python loop, with x̂ = real + u (fake − real) (so ε = 1 − u)."""
    penalties = []
    for i in range(real.shape[0]):
        u = tf.random.uniform([])
        x_hat = real[i:i + 1] + u * (fake[i:i + 1] - real[i:i + 1])
        with tf.GradientTape() as tape:
            tape.watch(x_hat)
            score = critic(x_hat)
        g = tf.reshape(tape.gradient(score, x_hat), [-1])
        penalties.append((tf.sqrt(tf.reduce_sum(g * g) + 1e-10) - 1.0) ** 2)
    return tf.add_n(penalties) / len(penalties)


def clip_with_numpy(critic, clip_value):
    for layer in critic.layers:
        for weight in layer.trainable_weights:
            weight.assign(np.clip(weight.numpy(), -clip_value, clip_value))


def adain_python_loops(x, y_s, y_b, epsilon=1e-5):
    out = np.empty_like(np.asarray(x, np.float64))
    for n in range(x.shape[0]):
        for c in range(x.shape[-1]):
            channel = np.asarray(x[n, :, :, c], np.float64)
            out[n, :, :, c] = y_s[n, c] * (channel - channel.mean()) / (channel.std() + epsilon) + y_b[n, c]
    return out


def fid_from_eigenvalues(a, b):
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # Tr((Σ_a Σ_b)^½) is the sum of the square roots of the eigenvalues of Σ_a Σ_b (real, ≥ 0)
    root_trace = np.sum(np.sqrt(np.clip(np.linalg.eigvals(cov_a @ cov_b).real, 0, None)))
    return np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * root_trace


def mmd_python_loops(x, y):
    d = x.shape[1]

    def k(a, b):
        return (float(np.dot(a, b)) / d + 1) ** 3

    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def condition_with_numpy(images, labels, num_classes):
    maps = np.zeros(images.shape[:3] + (num_classes,), images.dtype)
    for i, label in enumerate(labels):
        maps[i, :, :, label] = 1.0
    return np.concatenate([images, maps], axis=-1)


def slerp_in_tensorflow(a, b, t):
    a, b = tf.constant(a, tf.float64), tf.constant(b, tf.float64)
    unit_a, unit_b = tf.math.l2_normalize(a, -1), tf.math.l2_normalize(b, -1)
    omega = tf.acos(tf.clip_by_value(tf.reduce_sum(unit_a * unit_b, -1, keepdims=True), -1.0, 1.0))
    sin = tf.sin(omega)
    safe = tf.where(sin < 1e-6, tf.ones_like(sin), sin)
    curved = tf.sin((1 - t) * omega) / safe * a + tf.sin(t * omega) / safe * b
    return tf.where(sin < 1e-6, (1 - t) * a + t * b, curved)  # per row: only parallel rows take the line


def translate_with_numpy(images, shifts):
    images = np.asarray(images)
    out = np.zeros_like(images)
    for i, (dy, dx) in enumerate(np.asarray(shifts)):
        for r in range(images.shape[1]):
            for c in range(images.shape[2]):
                if 0 <= r + dy < images.shape[1] and 0 <= c + dx < images.shape[2]:
                    out[i, r, c] = images[i, r + dy, c + dx]
    return out


RIGHT_BUT_DIFFERENT = [
    ("ch01.discriminator_loss", lambda r, f: bce_logits(tf.ones_like(r), r) + bce_logits(tf.zeros_like(f), f)),
    ("ch01.discriminator_loss", d_loss_python_loop),
    ("ch01.generator_loss", lambda f: np.mean(np.logaddexp(0.0, -np.asarray(f, np.float64)))),
    ("ch01.optimal_discriminator",
     lambda x, data, fake: 1 / (1 + np.exp(np.log(normal_pdf(x, *fake)) - np.log(normal_pdf(x, *data))))),
    ("ch02.slerp", slerp_in_tensorflow),
    ("ch02.train_step", alternating_train_step),
    ("ch03.gradient_penalty", penalty_one_sample_at_a_time),
    ("ch03.clip_weights", clip_with_numpy),
    ("ch04.adain", adain_python_loops),
    ("ch04.truncate", lambda w, w_avg, psi: psi * w + (1 - psi) * w_avg),
    ("ch05.frechet_distance", fid_from_eigenvalues),
    ("ch05.mmd2_unbiased", mmd_python_loops),
    ("ch06.condition_on_label", condition_with_numpy),
    ("ch06.conditional_discriminator", small_discriminator(embedding(lambda k: k))),
    ("ch07.translate", translate_with_numpy),
    ("ch07.augmented_d_loss", lambda d, real, fake, aug: tf.reduce_mean(tf.nn.softplus(-d(aug(real))))
     + tf.reduce_mean(tf.nn.softplus(d(aug(fake))))),
]


@pytest.mark.parametrize("name, right", RIGHT_BUT_DIFFERENT, ids=[r[0] for r in RIGHT_BUT_DIFFERENT])
def test_a_right_answer_written_differently_passes(name, right, capsys):
    result = verdict(name, right, capsys)
    assert result.passed, result.message


# --- the nbval switch -------------------------------------------------------------------------------------------


def notebook_cell(source, exercise=None):
    metadata = {"tags": ["exercise"], "exercise": exercise} if exercise else {}
    return {"cell_type": "code", "execution_count": None, "metadata": metadata, "outputs": [], "source": source}


def test_use_solution_replaces_only_exercise_cells_and_only_when_switched_on(monkeypatch):
    stub = "def truncate(w, w_avg, psi):\n    raise NotImplementedError\n"
    exercise_item = SimpleNamespace(cell=notebook_cell(stub, "ch04.truncate"))
    other_item = SimpleNamespace(cell=notebook_cell("x = 1"))
    unit_test_item = SimpleNamespace(name="test_something")  # not a notebook cell: left alone

    _nbval_exercises.use_solution(exercise_item)
    assert exercise_item.cell["source"] == stub  # switch off: the learner's stub

    monkeypatch.setenv(SOLUTIONS_ENV, "1")
    for item in (exercise_item, other_item, unit_test_item):
        _nbval_exercises.use_solution(item)
    assert exercise_item.cell["source"] == exercises.solution_source("ch04.truncate")
    assert other_item.cell["source"] == "x = 1"

    missing = SimpleNamespace(cell=notebook_cell(stub, "ch04.nothing"))
    _nbval_exercises.use_solution(missing)
    assert missing.cell["source"].startswith("raise FileNotFoundError(") and "ch04_nothing.py" in missing.cell["source"]


def test_nbval_runs_the_solution_in_place_of_the_stub(tmp_path):
    """The repository's conftest.py, loaded as a plugin, under nbval on a two-cell notebook: with the switch on
    the stub cell runs the reference solution; off (as for a learner), the stub's NotImplementedError fails it."""
    cells = [notebook_cell("def truncate(w, w_avg, psi):\n    raise NotImplementedError\n", "ch04.truncate"),
             notebook_cell("import numpy as np\nassert np.allclose(truncate(np.ones(3), np.zeros(3), 0.5), 0.5)")]
    notebook = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "exercise.ipynb"
    path.write_text(json.dumps(notebook))

    def nbval(switch):
        env = {**os.environ, SOLUTIONS_ENV: switch, "PYTHONPATH": str(REPO)}
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "--nbval-lax", "--nbval-current-env",
                               "-p", "conftest", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(path)],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=120)

    switched_on = nbval("1")
    assert switched_on.returncode == 0, switched_on.stdout[-2000:]
    assert "2 passed" in switched_on.stdout
    switched_off = nbval("0")
    assert switched_off.returncode != 0 and "NotImplementedError" in switched_off.stdout
