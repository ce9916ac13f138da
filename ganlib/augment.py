"""Differentiable augmentation (DiffAugment): random colour, translation and cutout for every image D sees.

Zhao, Liu, Lin, Zhu & Han 2020, "Differentiable Augmentation for Data-Efficient GAN Training"
(https://arxiv.org/abs/2006.10738). With a few thousand pictures, D memorises the training set within a few
epochs, its verdicts stop carrying information, and G's samples collapse. Augmenting the data helps only if
the generator cannot learn the augmentation: augment the real images alone and G learns to draw shifted,
cut-out pictures, because that is what "real" now looks like. DiffAugment applies the same random family T
to *every* input of D, real and fake, in D's step and in G's step:

    L_D = f(−D(T(x))) + f(D(T(G(z))))        L_G = f(−D(T(G(z))))

and since each T is made of differentiable tensor operations, G's gradient flows back through T(G(z)).

The three policies (each draw is per image):

- ``color``: brightness x + b, b ~ U(−0.5, 0.5); saturation m_c + s·(x − m_c), s ~ U(0, 2), with m_c the
  mean over the channels of each pixel (so a grey image is left as it is); contrast m + c·(x − m),
  c ~ U(0.5, 1.5), with m the mean of the whole image.
- ``translation``: shift by up to 1/8 of the image size in each direction (a whole number of pixels);
  what is shifted in is 0.
- ``cutout``: set a square of half the image size to 0, centred anywhere in the image (so near a border
  part of it falls outside and fewer pixels are cut: on average less than 1/4 of the image).

Images here are NHWC in [-1, 1], as in the authors' code, which these numbers follow: b is added in the
images' own units, so ±0.5 moves a pixel by at most a quarter of its range; saturation and contrast
scale deviations from a mean, which is the same on any linear rescaling of the pixel values; and 0 (the
fill of translation and cutout) is mid-grey.

Randomness is stateless: every call takes ``seed``, a shape-[2] integer tensor, and the same seed gives
the same augmentation. ``step_seed(run_seed, step, stream)`` derives one from the run's seed and the
training step, so a resumed run redraws exactly the augmentations it would have drawn, and the real and
fake batches of one step (two streams) get independent draws.
"""

import difflib

import tensorflow as tf

DEFAULT_POLICY = "color,translation,cutout"
TRANSLATION_RATIO = 0.125  # shift by up to 1/8 of the image size
CUTOUT_RATIO = 0.5  # cut a square of half the image size
POLICY_ALIASES = {"colour": "color"}


class AugmentPolicyError(ValueError):
    """The DiffAugment policy string names an unknown or repeated augmentation."""


def step_seed(run_seed, step, stream=0):
    """The seed for one augmentation call: (run_seed, step) with the stream number folded in.

    Use stream 0 for the real batch and 1 for the fake batch of D's step, 2 for G's step, and so on: each
    stream gets its own independent draws, and the same (run_seed, step, stream) always gives the same
    seed, inside a ``tf.function`` too (``step`` may be a tensor such as ``optimizer.iterations``).
    """
    pair = tf.stack([tf.cast(run_seed, tf.int64), tf.cast(step, tf.int64)])
    return tf.random.experimental.stateless_fold_in(pair, stream)


def _sub_seed(seed, salt):
    # Each augmentation folds in its own fixed number, so turning one policy on or off does not change
    # the draws of the others for the same seed.
    return tf.random.experimental.stateless_fold_in(seed, salt)


def _per_image_uniform(images, seed, low, high, shape=(1, 1, 1)):
    n = tf.shape(images)[0]
    return tf.random.stateless_uniform(tf.concat([[n], shape], 0), seed, minval=low, maxval=high,
                                       dtype=images.dtype)


def random_brightness(images, seed):
    """x + b with b ~ U(−0.5, 0.5) per image."""
    return images + _per_image_uniform(images, seed, -0.5, 0.5)


def random_saturation(images, seed):
    """m_c + s·(x − m_c) with s ~ U(0, 2) per image and m_c each pixel's mean over the channels:
    s = 0 turns the image grey, s = 2 doubles its colourfulness. One channel: unchanged."""
    mean = tf.reduce_mean(images, axis=3, keepdims=True)
    return mean + _per_image_uniform(images, seed, 0.0, 2.0) * (images - mean)


def random_contrast(images, seed):
    """m + c·(x − m) with c ~ U(0.5, 1.5) per image and m the image's mean over all pixels and channels."""
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return mean + _per_image_uniform(images, seed, 0.5, 1.5) * (images - mean)


def translate(images, shifts):
    """Shift each image by whole pixels, filling with 0: ``shifts`` (N, 2) int, (dy, dx) per image.

    Output pixel (i, j) is input pixel (i + dy, j + dx), so the content moves up by dy and left by dx. The
    images get a one-pixel border of zeros, and every index that falls outside the image is clipped onto
    that border: two gathers (rows, then columns), differentiable in the images, O(N·H·W·C).
    """
    shifts = tf.cast(shifts, tf.int32)
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    padded = tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]])
    rows = tf.clip_by_value(tf.range(height)[None, :] + shifts[:, :1] + 1, 0, height + 1)  # (N, H) in padded
    columns = tf.clip_by_value(tf.range(width)[None, :] + shifts[:, 1:] + 1, 0, width + 1)
    shifted_rows = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(shifted_rows, columns, axis=2, batch_dims=1)


def _pixels(images, ratio):
    """round(ratio · H), round(ratio · W) as int32 tensors (half-way rounds up, as in the authors' code)."""
    size = tf.cast(tf.shape(images)[1:3], tf.float32)
    return tf.cast(size * ratio + 0.5, tf.int32)


def random_translation(images, seed, ratio=TRANSLATION_RATIO):
    """Translate each image by (dy, dx), each uniform over the whole numbers in [−r, r], r = round(ratio · size)."""
    limit = _pixels(images, ratio)
    u = tf.random.stateless_uniform(tf.stack([tf.shape(images)[0], 2]), seed)
    shifts = tf.cast(tf.floor(u * tf.cast(2 * limit + 1, tf.float32)), tf.int32) - limit
    return translate(images, shifts)


def cut_out(images, corners, size):
    """Set a size[0]×size[1] rectangle of each image to 0: ``corners`` (N, 2) int, its (top, left) per image,
    which may lie outside the image (then only the part inside is cut)."""
    corners = tf.cast(corners, tf.int32)
    rows = tf.range(tf.shape(images)[1])[None, :] - corners[:, :1]  # (N, H): row index relative to the top
    columns = tf.range(tf.shape(images)[2])[None, :] - corners[:, 1:]
    inside_rows = tf.cast((rows >= 0) & (rows < size[0]), images.dtype)
    inside_columns = tf.cast((columns >= 0) & (columns < size[1]), images.dtype)
    keep = 1.0 - inside_rows[:, :, None, None] * inside_columns[:, None, :, None]
    return images * keep


def random_cutout(images, seed, ratio=CUTOUT_RATIO):
    """Cut out a square of round(ratio · size) pixels centred at a uniform position of each image.

    The centre ranges over every pixel (one more position for an even square, so that the range is
    symmetric), so the square overhangs a border as often as the centre is near one: border pixels are cut
    about as often as the others.
    """
    cut = _pixels(images, ratio)
    positions = tf.shape(images)[1:3] + (1 - cut % 2)
    u = tf.random.stateless_uniform(tf.stack([tf.shape(images)[0], 2]), seed)
    centres = tf.cast(tf.floor(u * tf.cast(positions, tf.float32)), tf.int32)
    return cut_out(images, centres - cut // 2, cut)


# Each policy is a sequence of (augmentation, salt): the salt picks the augmentation's own seed stream.
POLICIES = {
    "color": ((random_brightness, 1), (random_saturation, 2), (random_contrast, 3)),
    "translation": ((random_translation, 4),),
    "cutout": ((random_cutout, 5),),
}


def parse_policy(policy):
    """The augmentation names in a policy such as "color,translation,cutout" (or a list of names), in order.

    "" or None is no augmentation. "colour" is accepted for "color". An unknown or repeated name raises
    :class:`AugmentPolicyError` saying which and what the choices are.
    """
    if policy is None:
        return ()
    parts = policy.split(",") if isinstance(policy, str) else list(policy)
    names = [POLICY_ALIASES.get(part.strip().lower(), part.strip().lower()) for part in parts]
    names = [name for name in names if name]
    for name in names:
        if name not in POLICIES:
            close = difflib.get_close_matches(name, list(POLICIES) + list(POLICY_ALIASES), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise AugmentPolicyError(f"unknown DiffAugment policy {name!r} in {policy!r}; {hint}"
                                     f"choose from {', '.join(POLICIES)}, comma-separated")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise AugmentPolicyError(f"DiffAugment policy {policy!r} names {', '.join(repeated)} more than once; "
                                 "name each augmentation once")
    return tuple(names)


def _check_inputs(images, seed):
    if images.shape.rank is not None and images.shape.rank != 4:
        raise ValueError(f"DiffAugment takes a batch of images (N, H, W, C); got shape {images.shape}")
    if not images.dtype.is_floating:
        raise ValueError(f"DiffAugment takes float images in [-1, 1]; got {images.dtype.name}: "
                         "scale them first (ganlib.data.to_float)")
    if not seed.dtype.is_integer or (seed.shape.rank is not None and seed.shape.as_list() != [2]):
        raise ValueError(f"seed must be a shape-[2] integer tensor, e.g. augment.step_seed(run_seed, step); "
                         f"got shape {seed.shape} {seed.dtype.name}")


def diff_augment(images, seed, policy=DEFAULT_POLICY):
    """Apply a DiffAugment ``policy`` to NHWC images in [-1, 1] with the randomness of ``seed``.

    Call it on the real and on the fake batch before D, in D's step and in G's step, each with its own seed
    (``step_seed(run_seed, step, stream)``). Works eagerly and inside ``tf.function``; the result is
    differentiable in ``images``. An empty policy returns the images unchanged.
    """
    images = tf.convert_to_tensor(images)
    seed = tf.convert_to_tensor(seed)
    _check_inputs(images, seed)
    for name in parse_policy(policy):
        for augmentation, salt in POLICIES[name]:
            images = augmentation(images, _sub_seed(seed, salt))
    return images
