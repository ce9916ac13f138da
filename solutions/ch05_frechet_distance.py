import numpy as np
import scipy.linalg


def frechet_distance(feats_a, feats_b):
    """FID = ‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^½) between two (N, d) feature sets."""
    mu_a, mu_b = feats_a.mean(axis=0), feats_b.mean(axis=0)
    cov_a, cov_b = np.cov(feats_a, rowvar=False), np.cov(feats_b, rowvar=False)
    covmean = np.real(scipy.linalg.sqrtm(cov_a @ cov_b))  # drop the tiny imaginary parts rounding leaves
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * covmean))
