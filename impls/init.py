"""Initial weights made in numpy, once, and loaded into either framework.

Both frameworks start from the same numbers, so a PyTorch/TensorFlow difference is never an
initialiser difference, and two arms of a comparison share every parameter whose name, shape and
initialiser agree (each parameter draws from its own stream, keyed by the trial seed and its name).

Canonical layout: dense kernels (in, out); biases (out,); norm gamma/beta/mean/var (features,).
Names: hidden{i}/kernel, hidden{i}/bias, norm{i}/gamma|beta|mean|var, head/kernel, head/bias.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np

from impls.spec import GATES, MLP, RNN, Init, ModelSpec

Weights = dict[str, np.ndarray]


def param_rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed & 0xFFFFFFFFFFFF, zlib.crc32(name.encode())])


def draw(init: Init, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """One tensor from an initialiser. fan_in/fan_out follow Glorot & He: for a dense kernel
    (in, out); for anything larger, the last dim is fan_out and the rest multiply into fan_in."""
    fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else shape[0]
    fan_out = shape[-1]
    s, name = init.scale, init.name
    if name == "zeros":
        return np.zeros(shape)
    if name == "normal":
        return rng.normal(0.0, s, shape)
    if name == "uniform":
        return rng.uniform(-s, s, shape)
    if name == "orthogonal":
        flat = rng.normal(0.0, 1.0, (fan_in, fan_out))
        q, r = np.linalg.qr(flat if fan_in >= fan_out else flat.T)
        q = q * np.sign(np.diag(r))  # make the decomposition unique (Saxe et al. 2014)
        return s * (q if fan_in >= fan_out else q.T).reshape(shape)
    variance = {
        "glorot_uniform": 2.0 / (fan_in + fan_out),
        "glorot_normal": 2.0 / (fan_in + fan_out),
        "he_uniform": 2.0 / fan_in,
        "he_normal": 2.0 / fan_in,
        "lecun_uniform": 1.0 / fan_in,
        "lecun_normal": 1.0 / fan_in,
    }[name] * s
    if name.endswith("_uniform"):
        limit = np.sqrt(3.0 * variance)
        return rng.uniform(-limit, limit, shape)
    return rng.normal(0.0, np.sqrt(variance), shape)


def mlp_weights(model: MLP, n_in: int, n_out: int, seed: int) -> Weights:
    w: Weights = {}
    fan = n_in
    for i in range(model.depth):
        w[f"hidden{i}/kernel"] = draw(model.init, (fan, model.width), param_rng(seed, f"hidden{i}/kernel"))
        w[f"hidden{i}/bias"] = np.full((model.width,), model.bias_init)
        if model.norm != "none":
            w[f"norm{i}/gamma"] = np.ones(model.width)
            w[f"norm{i}/beta"] = np.zeros(model.width)
        if model.norm == "batch":
            w[f"norm{i}/mean"] = np.zeros(model.width)
            w[f"norm{i}/var"] = np.ones(model.width)
        fan = model.width
    w["head/kernel"] = draw(model.head_init, (fan, n_out), param_rng(seed, "head/kernel"))
    w["head/bias"] = np.zeros(n_out)
    return w


def rnn_weights(model: RNN, n_in: int, n_out: int, seed: int) -> Weights:
    """Sequence family (see `impls.spec.RNN`). Layer l: rnn{l}/kernel (in, G*H), rnn{l}/recurrent
    (H, G*H), rnn{l}/bias (G*H,), GRU rnn{l}/recurrent_bias (H,) (b_hn); with a norm
    norm{l}/x_gamma, h_gamma (G*H,), LSTM also norm{l}/c_gamma, c_beta (H,); batch norm adds the
    per-time-step running statistics norm{l}/{x,h}_{mean,var} (T, G*H) and LSTM c_{mean,var} (T, H).
    Each gate block is drawn on its own (fan_in = in or H, fan_out = H), from its own stream, so an
    orthogonal recurrent init makes every gate's U orthogonal."""
    gates, h = GATES[model.cell], model.hidden
    steps = n_in // model.features
    names = {"rnn": "h", "lstm": "ifgo", "gru": "rzn"}[model.cell]
    w: Weights = {}
    fan = model.features
    for layer in range(model.layers):
        p = f"rnn{layer}"
        for key, init, rows in (("kernel", model.kernel_init, fan), ("recurrent", model.recurrent_init, h)):
            blocks = [draw(init, (rows, h), param_rng(seed, f"{p}/{key}/{g}")) for g in names]
            w[f"{p}/{key}"] = np.concatenate(blocks, axis=1)
        bias = np.full((gates * h,), model.bias_init)
        if model.cell == "lstm":
            bias[h : 2 * h] = model.forget_bias
        w[f"{p}/bias"] = bias
        if model.cell == "gru":
            w[f"{p}/recurrent_bias"] = np.full((h,), model.bias_init)
        if model.norm != "none":
            q = f"norm{layer}"
            w[f"{q}/x_gamma"] = np.full((gates * h,), model.norm_gamma)
            w[f"{q}/h_gamma"] = np.full((gates * h,), model.norm_gamma)
            if model.cell == "lstm":
                w[f"{q}/c_gamma"] = np.full((h,), model.norm_gamma)
                w[f"{q}/c_beta"] = np.zeros(h)
        if model.norm == "batch":
            for part, width in (("x", gates * h), ("h", gates * h), ("c", h)):
                if part == "c" and model.cell != "lstm":
                    continue
                w[f"{q}/{part}_mean"] = np.zeros((steps, width))
                w[f"{q}/{part}_var"] = np.ones((steps, width))
        fan = h
    w["head/kernel"] = draw(model.head_init, (h, n_out), param_rng(seed, "head/kernel"))
    w["head/bias"] = np.zeros(n_out)
    return w


# family name -> maker(model, n_in, n_out, seed); a family added to the spec registers here.
MAKERS: dict[str, Callable[..., Weights]] = {"mlp": mlp_weights, "rnn": rnn_weights}


def initial_weights(model: ModelSpec, n_in: int, n_out: int, seed: int, dtype: str) -> Weights:
    """Canonical initial weights for any model family (dispatch on `model.family`)."""
    weights = MAKERS[model.family](model, n_in, n_out, seed)
    return {k: v.astype(dtype) for k, v in weights.items()}
