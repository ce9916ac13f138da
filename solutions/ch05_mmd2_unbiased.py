import numpy as np


def mmd2_unbiased(x, y):
    """Unbiased MMD² between feature sets x (m, d) and y (n, d) with the kernel k(a, b) = (aᵀb / d + 1)³."""
    d = x.shape[1]
    k_xx, k_yy, k_xy = (x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3, (x @ y.T / d + 1) ** 3
    m, n = len(x), len(y)
    # leave out k(xᵢ, xᵢ): the m(m − 1) pairs of distinct samples make the estimate unbiased
    within_x = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    within_y = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return within_x + within_y - 2 * k_xy.mean()
