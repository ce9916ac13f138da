import numpy as np
import pytest
import tensorflow as tf

from ganlib import augment


def batch(n=16, size=32, channels=3, seed=0):
    """Random images in [-1, 1] (no exact zeros, so a zero in the output was put there by the augmentation)."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.05, 1.0, (n, size, size, channels)) * rng.choice([-1, 1], (n, size, size, channels))
    return tf.constant(values, tf.float32)


SEED = tf.constant([7, 3], tf.int64)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("policy", ["color", "translation", "cutout", augment.DEFAULT_POLICY])
def test_each_policy_keeps_the_shape_and_changes_the_images(policy, channels):
    images = batch(channels=channels)
    out = augment.diff_augment(images, SEED, policy)
    assert out.shape == images.shape and out.dtype == images.dtype
    assert not np.allclose(out.numpy(), images.numpy())


def test_the_same_seed_gives_the_same_result_and_another_seed_does_not():
    images = batch()
    first = augment.diff_augment(images, SEED).numpy()
    np.testing.assert_array_equal(first, augment.diff_augment(images, SEED).numpy())
    assert not np.allclose(first, augment.diff_augment(images, tf.constant([7, 4], tf.int64)).numpy())


def test_step_seed_depends_on_run_step_and_stream_only():
    seeds = {tuple(augment.step_seed(r, s, k).numpy()) for r in (0, 1) for s in (0, 1) for k in (0, 1)}
    assert len(seeds) == 8
    assert tuple(augment.step_seed(1, 5, 1).numpy()) == tuple(augment.step_seed(1, tf.constant(5), 1).numpy())


def test_each_augmentation_draws_the_same_whatever_else_the_policy_holds():
    images = batch()
    one_by_one = augment.diff_augment(augment.diff_augment(images, SEED, "cutout"), SEED, "translation")
    np.testing.assert_array_equal(augment.diff_augment(images, SEED, "cutout,translation").numpy(), one_by_one.numpy())


def test_empty_policy_is_the_identity():
    images = batch(n=2)
    np.testing.assert_array_equal(augment.diff_augment(images, SEED, "").numpy(), images.numpy())


def test_gradients_flow_to_the_images():
    images = tf.Variable(batch(n=4))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(augment.diff_augment(images, SEED) ** 2)
    gradient = tape.gradient(loss, images).numpy()
    assert np.all(np.isfinite(gradient)) and np.abs(gradient).sum() > 0
    assert all(np.abs(g).sum() > 0 for g in gradient)  # every image of the batch gets a gradient


def test_translate_moves_content_by_whole_pixels_and_fills_zeros():
    images = batch(n=2, size=8, channels=2)
    out = augment.translate(images, [[2, -1], [0, 3]]).numpy()
    x = images.numpy()
    expected = np.zeros_like(x)
    expected[0, :6, 1:] = x[0, 2:, :7]  # output (i, j) = input (i + 2, j − 1)
    expected[1, :, :5] = x[1, :, 3:]
    np.testing.assert_array_equal(out, expected)


def shifted(image, dy, dx):
    """numpy reference for ``translate``: output (i, j) = input (i + dy, j + dx), zero outside."""
    padded = np.pad(image, ((4, 4), (4, 4), (0, 0)))
    return padded[4 + dy : 4 + dy + image.shape[0], 4 + dx : 4 + dx + image.shape[1]]


def test_random_translation_is_a_shift_of_at_most_one_eighth():
    images = batch(n=32, size=32)
    out = augment.random_translation(images, SEED).numpy()
    seen = set()
    for original, result in zip(images.numpy(), out):
        matches = [(dy, dx) for dy in range(-4, 5) for dx in range(-4, 5)
                   if np.array_equal(result, shifted(original, dy, dx))]
        assert len(matches) == 1  # exactly one shift within ±32/8 explains the output
        seen.add(matches[0])
    assert len(seen) > 10  # and the shifts vary from image to image


def test_cutout_zeroes_a_half_size_square_clipped_at_the_borders():
    images = tf.ones((256, 32, 32, 3))
    out = augment.random_cutout(images, SEED).numpy()
    fractions = []
    for image in out:
        cut = np.all(image == 0, axis=-1)
        assert np.all((image == 0) | (image == 1)) and np.array_equal(cut, np.any(image == 0, axis=-1))
        rows, columns = np.nonzero(cut.any(1))[0], np.nonzero(cut.any(0))[0]
        assert cut[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1].all()  # one filled rectangle
        for span, touches_border in ((rows, rows[0] == 0 or rows[-1] == 31), (columns, columns[0] == 0 or columns[-1] == 31)):
            assert len(span) == 16 or (touches_border and 8 <= len(span) < 16)
        fractions.append(cut.mean())
    fractions = np.array(fractions)
    assert fractions.max() == 0.25 and (fractions == 0.25).mean() > 0.2  # squares fully inside cut 1/4 exactly
    assert 0.15 < fractions.mean() < 0.25  # the others overhang a border and cut less


def test_colour_keeps_grey_images_grey_and_moves_brightness_by_at_most_half():
    grey = tf.constant(np.full((64, 4, 4, 1), 0.2, np.float32))
    out = augment.diff_augment(grey, SEED, "color").numpy()
    assert np.allclose(out, out[:, :1, :1, :], atol=1e-6)  # still flat: contrast and saturation keep a flat image
    assert np.all(np.abs(out - 0.2) <= 0.5 + 1e-6) and out.std() > 0.1


def test_works_inside_tf_function_with_a_tensor_step():
    images = batch(n=8)

    @tf.function
    def augmented(step):
        return augment.diff_augment(images, augment.step_seed(11, step, stream=0))

    np.testing.assert_allclose(augmented(tf.constant(3)).numpy(),
                               augment.diff_augment(images, augment.step_seed(11, 3, 0)).numpy(), atol=1e-6)
    assert not np.allclose(augmented(tf.constant(3)).numpy(), augmented(tf.constant(4)).numpy())


@pytest.mark.parametrize("policy, message", [
    ("color,cutuot", "unknown DiffAugment policy 'cutuot'.*did you mean 'cutout'"),
    ("color,translation,color", "names color more than once"),
    ("zoom", "choose from color, translation, cutout"),
])
def test_a_policy_typo_is_one_clear_line(policy, message):
    with pytest.raises(augment.AugmentPolicyError, match=message) as err:
        augment.diff_augment(batch(n=1), SEED, policy)
    assert "\n" not in str(err.value)


def test_policy_spelling_is_forgiving_about_case_spaces_and_colour():
    assert augment.parse_policy(" Colour, cutout ") == ("color", "cutout")
    assert augment.parse_policy(["translation"]) == ("translation",)
    assert augment.parse_policy(None) == ()


@pytest.mark.parametrize("images, seed, message", [
    (np.zeros((4, 4, 3), np.float32), [1, 2], "batch of images"),
    (np.zeros((1, 4, 4, 3), np.uint8), [1, 2], "float images"),
    (np.zeros((1, 4, 4, 3), np.float32), 5, "shape-\\[2\\] integer"),
])
def test_bad_inputs_are_clear_errors(images, seed, message):
    with pytest.raises(ValueError, match=message):
        augment.diff_augment(images, seed)
