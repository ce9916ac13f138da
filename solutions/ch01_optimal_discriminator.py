import numpy as np


def optimal_discriminator(x, data, fake):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) for p_data = N(data[0], data[1]²) and p_g = N(fake[0], fake[1]²)."""

    def density(x, mean, std):
        return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))

    p_data, p_g = density(x, *data), density(x, *fake)
    return p_data / (p_data + p_g)
