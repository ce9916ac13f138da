import numpy as np
import pytest

from ganlib import latent


def test_slerp_ends_at_the_endpoints_and_keeps_the_norm_on_the_sphere():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 64))
    b *= np.linalg.norm(a) / np.linalg.norm(b)  # same norm: the great circle stays on that sphere
    np.testing.assert_allclose(latent.slerp(a, b, 0.0), a, atol=1e-12)
    np.testing.assert_allclose(latent.slerp(a, b, 1.0), b, atol=1e-12)
    middle = latent.slerp(a, b, 0.5)
    assert np.linalg.norm(middle) == pytest.approx(np.linalg.norm(a))
    assert np.linalg.norm((a + b) / 2) < 0.9 * np.linalg.norm(a)  # the straight line dips inside


def test_slerp_of_parallel_latents_falls_back_to_the_line():
    a = np.ones(8)
    np.testing.assert_allclose(latent.slerp(a, 2 * a, 0.5), 1.5 * a)


def test_interpolate_and_walk_shapes():
    rng = np.random.default_rng(1)
    path = latent.interpolate(rng.standard_normal(16), rng.standard_normal(16), steps=7)
    assert path.shape == (7, 16) and path.dtype == np.float32
    walk = latent.latent_walk(3, 16, seed=0, legs=2, frames_per_leg=5)
    assert len(walk) == 10 and walk[0].shape == (3, 16)
    np.testing.assert_allclose(walk[0], latent.latent_walk(3, 16, seed=0, legs=2, frames_per_leg=5)[0])
