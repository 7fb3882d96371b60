"""Plot of a spin test's null distribution (drawn by connpredict.plotting)."""

from connpredict.plotting import plot_null_distribution

__all__ = ["plot_null_distribution"]
