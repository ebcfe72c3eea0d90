"""Framework-free sharpness measurements of images, for "blurry" (vae-blurrier).

Both are computed on reconstructions and on their inputs and reported as recon / input ratios
(< 1 = less high-frequency content / weaker edges than the real images, i.e. blurrier)."""

from __future__ import annotations

import numpy as np


def _images(x: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """Flat (n, h*w*c) in (h, w, c) order -> (n, c, h, w) float64."""
    h, w, c = shape
    return x.astype(np.float64).reshape(-1, h, w, c).transpose(0, 3, 1, 2)


def high_freq_energy(x: np.ndarray, shape: tuple[int, int, int], cutoff: float = 0.25) -> float:
    """Mean over images of the spectral energy at radial frequencies above `cutoff` cycles/pixel
    (Nyquist = 0.5), of the image minus its own mean (so brightness does not count)."""
    img = _images(x, shape)
    img = img - img.mean(axis=(2, 3), keepdims=True)
    power = np.abs(np.fft.fft2(img)) ** 2  # (n, c, h, w)
    fy, fx = np.meshgrid(np.fft.fftfreq(shape[0]), np.fft.fftfreq(shape[1]), indexing="ij")
    high = np.hypot(fy, fx) > cutoff
    return float(power[..., high].sum(axis=(-1, -2)).mean() / (shape[0] * shape[1]))


def mean_gradient(x: np.ndarray, shape: tuple[int, int, int]) -> float:
    """Mean over pixels and images of |grad| by forward differences, sqrt(dx^2 + dy^2)."""
    img = _images(x, shape)
    dx = np.diff(img, axis=3)[..., :-1, :]  # (n, c, h-1, w-1)
    dy = np.diff(img, axis=2)[..., :, :-1]
    return float(np.sqrt(dx**2 + dy**2).mean())


def sharpness(recon: np.ndarray, x: np.ndarray, shape: tuple[int, int, int]) -> dict[str, float]:
    """Ratios of the reconstructions' high-frequency energy and mean gradient to the inputs'."""
    return {
        "hf_ratio": high_freq_energy(recon, shape) / high_freq_energy(x, shape),
        "grad_ratio": mean_gradient(recon, shape) / mean_gradient(x, shape),
    }
