"""Moving through latent space: spherical interpolation and looping walks.

In high dimensions z ~ N(0, I) lives near the sphere |z| ≈ √d; the straight line between two latents dips
inside it (its midpoint has norm ≈ √(d/2)), where the generator saw no training latents. Spherical
interpolation (slerp) follows the great circle instead and keeps the norm typical.
"""

import numpy as np


def slerp(a, b, t):
    """Spherical interpolation between latents a and b (last axis), t in [0, 1]:
    slerp(a, b, t) = sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b, with Ω the angle between a and b."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    cos = np.sum(a * b, -1, keepdims=True) / (np.linalg.norm(a, axis=-1, keepdims=True)
                                               * np.linalg.norm(b, axis=-1, keepdims=True))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    sin = np.sin(omega)
    if np.any(sin < 1e-6):  # (anti)parallel latents: the great circle is undefined, use the line
        return (1 - t) * a + t * b
    return np.sin((1 - t) * omega) / sin * a + np.sin(t * omega) / sin * b


def interpolate(a, b, steps):
    """``steps`` latents from a to b inclusive, along the great circle: shape (steps, *a.shape)."""
    return np.stack([slerp(a, b, t) for t in np.linspace(0.0, 1.0, steps)]).astype(np.float32)


def latent_walk(n, latent_dim, seed=None, legs=4, frames_per_leg=12):
    """Latents for a looping animation: n walkers each visit ``legs`` random points and return to the
    first. Returns a list of (n, latent_dim) arrays, one per frame."""
    anchors = np.random.default_rng(seed).standard_normal((legs, n, latent_dim))
    anchors = np.concatenate([anchors, anchors[:1]])
    return [slerp(a, b, t).astype(np.float32) for a, b in zip(anchors[:-1], anchors[1:])
            for t in np.arange(frames_per_leg) / frames_per_leg]


def class_morph_vectors(embeddings, frames_per_class=12):
    """Class vectors for a looping morph through every class in order (0 → 1 → … → last → 0): straight
    lines between consecutive rows of ``embeddings`` (num_classes, dim). Returns (frames, dim)."""
    embeddings = np.asarray(embeddings, np.float32)
    following = np.roll(embeddings, -1, axis=0)
    t = (np.arange(frames_per_class) / frames_per_class)[None, :, None]
    return ((1 - t) * embeddings[:, None] + t * following[:, None]).reshape(-1, embeddings.shape[1])


def class_morph(gan, z, frames_per_class=12):
    """Frames (lists of images) of a conditional GAN morphing the latents z through its classes."""
    from ganlib import models

    embeddings = gan.sampler.get_layer("class_embedding").embeddings.numpy()
    z = np.asarray(z, np.float32)
    return [np.asarray(models.synthesise(gan.sampler, z, np.repeat(vector[None], len(z), 0)))
            for vector in class_morph_vectors(embeddings, frames_per_class)]
