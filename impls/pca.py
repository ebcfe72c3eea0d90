"""PCA by numpy's SVD, framework-free: the linear baseline every autoencoder trial reports."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import subspace_angles


@dataclass(frozen=True)
class PCA:
    mean: np.ndarray  # (features,)
    components: np.ndarray  # (k, features), orthonormal rows, by decreasing variance

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        xc = x.astype(np.float64) - self.mean
        return self.mean + (xc @ self.components.T) @ self.components

    def mse(self, x: np.ndarray) -> float:
        """Mean over examples and features of the squared reconstruction error (= head "mse" loss)."""
        return float(((self.reconstruct(x) - x.astype(np.float64)) ** 2).mean())


def fit(x: np.ndarray, k: int) -> PCA:
    """The k leading principal directions of x (n, features), centred on its mean."""
    x = x.astype(np.float64)
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    return PCA(mean, vt[:k])


def principal_angles_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Principal angles (degrees, ascending) between the column spaces of a (d, k) and b (d, k')."""
    return np.sort(np.degrees(subspace_angles(a.astype(np.float64), b.astype(np.float64))))
