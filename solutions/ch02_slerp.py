import numpy as np


def slerp(a, b, t):
    """Spherical interpolation from latent a (t = 0) to latent b (t = 1) along the last axis."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    cos = np.sum(a * b, axis=-1, keepdims=True) / (np.linalg.norm(a, axis=-1, keepdims=True)
                                                   * np.linalg.norm(b, axis=-1, keepdims=True))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))  # rounding can push cos a hair past ±1
    sin = np.sin(omega)
    if np.any(sin < 1e-6):  # a and b (anti)parallel: no unique great circle, take the straight line
        return (1 - t) * a + t * b
    return np.sin((1 - t) * omega) / sin * a + np.sin(t * omega) / sin * b
