"""ganlib.metrics: distances checked against scipy and closed forms, precision/recall on constructed cases,
and the committed classifiers."""

import json

import numpy as np
import pytest
import scipy.linalg
import scipy.stats

from ganlib import data, metrics


def gaussian(n, mean, cov, seed):
    return np.random.default_rng(seed).multivariate_normal(mean, cov, size=n)


def random_cov(d, seed):
    a = np.random.default_rng(seed).normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def test_frechet_distance_matches_a_direct_scipy_computation():
    a, b = gaussian(500, np.zeros(6), random_cov(6, 1), 2), gaussian(400, np.ones(6), random_cov(6, 3), 4)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a.T, ddof=1), np.cov(b.T, ddof=1)
    direct = np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * np.real(scipy.linalg.sqrtm(cov_a @ cov_b)))
    assert metrics.frechet_distance(a, b) == pytest.approx(direct, rel=1e-9)


def test_frechet_distance_estimates_the_closed_form_for_two_gaussians():
    # N(μ1, σ1² I) vs N(μ2, σ2² I) in d dimensions: d² = ‖μ1 − μ2‖² + d (σ1 − σ2)²
    d, shift, s1, s2 = 4, 0.5, 1.0, 2.0
    a = gaussian(200_000, np.zeros(d), s1**2 * np.eye(d), 5)
    b = gaussian(200_000, np.full(d, shift), s2**2 * np.eye(d), 6)
    exact = d * shift**2 + d * (s1 - s2) ** 2
    assert metrics.frechet_distance(a, b) == pytest.approx(exact, rel=0.01)
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_handles_singular_covariances():
    a = np.random.default_rng(7).normal(size=(50, 3)) @ np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 0]])
    value = metrics.frechet_distance(a, a + 1.0)
    assert np.isfinite(value) and value == pytest.approx(3.0, abs=1e-3)  # ‖Δμ‖² = 3; equal covariances


def test_unbiased_mmd_matches_the_formula_by_hand():
    x, y = np.array([[0.0], [1.0]]), np.array([[2.0], [3.0], [1.0]])
    k = lambda a, b: (a @ b.T + 1.0) ** 3  # d = 1
    k_xx, k_yy, k_xy = k(x, x), k(y, y), k(x, y)
    expected = (k_xx[0, 1] * 2) / 2 + (k_yy.sum() - np.trace(k_yy)) / 6 - 2 * k_xy.mean()
    assert metrics.mmd2_unbiased(x, y) == pytest.approx(expected)


def test_kid_is_zero_within_its_error_for_one_distribution_and_positive_for_shifted_ones():
    a, b = gaussian(3000, np.zeros(8), np.eye(8), 8), gaussian(3000, np.zeros(8), np.eye(8), 9)
    kid, se = metrics.kernel_distance(a, b, subset_size=500, num_subsets=40)
    assert abs(kid) < 3 * se + 1e-4
    shifted, shifted_se = metrics.kernel_distance(a, b + 0.5, subset_size=500, num_subsets=40)
    assert shifted > 10 * shifted_se and shifted > 10 * abs(kid)


def test_precision_recall_on_constructed_cases():
    real = np.random.default_rng(10).normal(size=(300, 5))
    assert metrics.precision_recall(real, real.copy()) == (1.0, 1.0)
    assert metrics.precision_recall(real, real + 100.0) == (0.0, 0.0)
    # a "mode-collapsed" generator: every fake near one real point → precise, but covers little
    collapsed = real[:1] + np.random.default_rng(11).normal(scale=1e-3, size=(300, 5))
    precision, recall = metrics.precision_recall(real, collapsed)
    assert precision == 1.0 and recall < 0.05


def test_knn_radius_is_the_kth_neighbour_excluding_itself():
    points = np.array([[0.0], [1.0], [3.0], [7.0]])
    np.testing.assert_allclose(metrics.knn_radii(points, k=1), [1, 1, 2, 4])
    np.testing.assert_allclose(metrics.knn_radii(points, k=3), [7, 6, 4, 7])


def test_class_statistics_by_hand():
    probs = np.eye(3)[[0, 0, 0, 1]]
    hist = metrics.class_histogram(probs)
    np.testing.assert_allclose(hist, [0.75, 0.25, 0])
    assert metrics.classes_covered(hist, [1 / 3] * 3) == 2
    p, q = np.array([0.75, 0.25, 0]) + 1e-6, np.full(3, 1 / 3) + 1e-6
    p, q = p / p.sum(), q / q.sum()
    assert metrics.class_kl(hist, [1 / 3] * 3) == pytest.approx(scipy.stats.entropy(p, q))
    assert metrics.class_kl([0.2, 0.8], [0.2, 0.8]) == pytest.approx(0.0, abs=1e-9)
    # classifier score: confident and even → number of classes; one class only → 1
    assert metrics.classifier_score(np.eye(4)) == pytest.approx(4.0, rel=1e-6)
    assert metrics.classifier_score(np.eye(4)[[2, 2, 2]]) == pytest.approx(1.0, rel=1e-6)
    assert metrics.classifier_score(np.full((5, 4), 0.25)) == pytest.approx(1.0, rel=1e-6)


@pytest.fixture(scope="module")
def mnist_classifier():
    return metrics.load_classifier("mnist")


def test_committed_classifier_classifies_the_offline_split_at_its_recorded_accuracy(mnist_classifier):
    record = mnist_classifier.record
    held = data.load("mnist", record["held_out_split"], verbose=False)
    start, stop = record["held_out_slice"]
    if len(held.images) < stop:
        pytest.skip(f"the held-out images ({record['held_out']}) are not available here")
    accuracy = mnist_classifier.accuracy(data.to_float(held.images[start:stop]), held.labels[start:stop])
    assert accuracy == pytest.approx(record["held_out_accuracy"], abs=0.002)
    assert accuracy > 0.97


def test_committed_fashion_classifier_matches_its_record_where_the_data_is():
    classifier = metrics.load_classifier("fashion_mnist")
    assert classifier.record["dataset"] == "fashion_mnist"
    try:
        held = data.load("fashion_mnist", classifier.record["held_out_split"], download=False, verbose=False)
    except (data.DataNotFoundError, data.DataError):
        pytest.skip("Fashion-MNIST is not installed here (apt-get install dataset-fashion-mnist)")
    start, stop = classifier.record["held_out_slice"]
    accuracy = classifier.accuracy(data.to_float(held.images[start:stop]), held.labels[start:stop])
    assert accuracy == pytest.approx(classifier.record["held_out_accuracy"], abs=0.002)


def test_missing_classifier_says_how_to_make_one():
    with pytest.raises(FileNotFoundError, match="train_classifiers.py"):
        metrics.load_classifier("cifar10")


def test_real_vs_real_floor_is_small_and_a_corrupted_set_scores_worse(mnist_classifier):
    images = data.load("mnist", verbose=False).images[:2000]
    real = metrics.real_reference(images, 1000)  # 2,000 real images: 1,000 reference, 500 "fakes"
    clean = metrics.evaluate_images(real[1000:1500], real[:1000], mnist_classifier)
    rng = np.random.default_rng(0)
    noisy = np.clip(real[1000:1500] + rng.normal(scale=0.6, size=real[1000:1500].shape), -1, 1)
    corrupted = metrics.evaluate_images(noisy, real[:1000], mnist_classifier)
    assert clean["fid"] < 3 * clean["fid_real_floor"] + 1.0
    assert corrupted["fid"] > 3 * clean["fid"]
    assert corrupted["kid"] > corrupted["kid_se"] * 5
    assert clean["classes_covered"] == 10 and clean["precision"] > 0.6 and clean["recall"] > 0.6
    assert set(clean) >= {"fid", "fid_real_floor", "kid", "kid_se", "precision", "recall", "classes_covered",
                          "class_kl", "classifier_score"}


@pytest.fixture(scope="module")
def small_inception():
    # Random weights at the smallest input InceptionV3 accepts: the feature path without the ImageNet download.
    return metrics.load_inception(weights=None, size=75)


def test_inception_features_repeat_grey_to_rgb_and_feed_the_distances(small_inception, mnist_classifier):
    real = metrics.real_reference(data.load("mnist", verbose=False).images[:24], 12)
    grey = small_inception.features(real[:6])
    assert grey.shape == (6, 2048) and np.all(np.isfinite(grey))
    np.testing.assert_allclose(small_inception.features(np.repeat(real[:6], 3, axis=-1)), grey, rtol=1e-5, atol=1e-6)

    fakes = np.clip(real[12:18] + np.random.default_rng(0).normal(0, 0.5, real[12:18].shape), -1, 1)
    with_inception = metrics.evaluate_images(fakes, real[:12], mnist_classifier, features=small_inception)
    with_classifier = metrics.evaluate_images(fakes, real[:12], mnist_classifier)
    assert with_inception["features"] == "inception_v3" and with_classifier["features"] == "classifier"
    assert with_inception["fid"] != with_classifier["fid"] and np.isfinite(with_inception["fid"])
    for key in ("class_histogram", "classes_covered", "class_kl", "classifier_score"):  # always the classifier's
        assert with_inception[key] == with_classifier[key]


def failed_download(*args, **kwargs):
    raise Exception("URL fetch failure on https://storage.googleapis.com/inception_v3.h5: None -- "
                    "[Errno -2] Name or service not known")


def test_inception_that_cannot_download_says_so_in_one_line(monkeypatch):
    monkeypatch.setattr(metrics.keras.applications, "InceptionV3", failed_download)
    with pytest.raises(metrics.FeatureError) as err:
        metrics.load_inception()
    assert "URL fetch failure" in str(err.value) and "classifier" in str(err.value)
    assert len(str(err.value).splitlines()) == 1


def test_cli_evaluate_prints_and_writes_json(cli, tmp_path):
    run_dir = tmp_path / "dcgan"
    assert cli("train", "dcgan", "--epochs", "1", "--limit", "256", "--out", run_dir)[0] == 0
    status, out, err = cli("evaluate", run_dir, "--n", "200")
    assert status == 0, err
    printed = json.loads(out.strip().splitlines()[-1])
    written = sorted(run_dir.glob("evaluation-*.json"))
    assert len(written) == 1 and json.loads(written[0].read_text()) == printed
    assert printed["n"] == 200 and printed["model"] == "dcgan" and printed["fid"] > printed["fid_real_floor"]


def test_cli_evaluate_with_inception_offline_is_one_line_and_writes_nothing(cli, tmp_path, monkeypatch):
    run_dir = tmp_path / "gan"
    assert cli("train", "gan", "--epochs", "1", "--limit", "256", "--out", run_dir)[0] == 0
    before = sorted(p.name for p in run_dir.iterdir())
    monkeypatch.setattr(metrics.keras.applications, "InceptionV3", failed_download)
    status, _, stderr = cli("evaluate", run_dir, "--features", "inception", "--n", "50")
    assert status == 2
    assert "InceptionV3" in stderr and "offline" in stderr and len(stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in run_dir.iterdir()) == before
