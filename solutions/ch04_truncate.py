def truncate(w, w_avg, psi):
    """The truncation trick: w' = w̄ + ψ (w − w̄)."""
    return w_avg + psi * (w - w_avg)
