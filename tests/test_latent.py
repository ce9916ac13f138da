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


def test_interpolate_starts_and_ends_at_its_endpoints():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(16), rng.standard_normal(16)
    path = latent.interpolate(a, b, steps=7)
    assert path.shape == (7, 16) and path.dtype == np.float32
    np.testing.assert_allclose(path[0], a, rtol=1e-6)
    np.testing.assert_allclose(path[-1], b, rtol=1e-6)


def test_a_latent_walk_loops_back_to_its_start_in_small_steps():
    walk = np.stack(latent.latent_walk(3, 16, seed=0, legs=2, frames_per_leg=5))
    assert walk.shape == (10, 3, 16)
    np.testing.assert_array_equal(walk, np.stack(latent.latent_walk(3, 16, seed=0, legs=2, frames_per_leg=5)))
    steps = np.linalg.norm(np.diff(np.concatenate([walk, walk[:1]]), axis=0), axis=-1)  # the last frame → the first
    assert steps[-1].max() <= 1.2 * steps[5:9].max()  # the step back to the start is like the others of its leg
    assert steps.max() < 2 * np.median(steps)  # no jump anywhere
    anchor = np.random.default_rng(0).standard_normal((2, 3, 16))
    np.testing.assert_allclose(walk[0], anchor[0], rtol=1e-6)  # leg 1 starts at the first anchor
    np.testing.assert_allclose(walk[5], anchor[1], rtol=1e-6)  # leg 2 at the second, then back to the first
