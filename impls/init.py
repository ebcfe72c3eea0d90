"""Initial weights made in numpy, once, and loaded into either framework.

Both frameworks start from the same numbers, so a PyTorch/TensorFlow difference is never an
initialiser difference, and two arms of a comparison share every parameter whose name, shape and
initialiser agree (each parameter draws from its own stream, keyed by the trial seed and its name).

Canonical layout: dense kernels (in, out); biases (out,); norm gamma/beta/mean/var (features,).
Names: hidden{i}/kernel, hidden{i}/bias, norm{i}/gamma|beta|mean|var, gate{i}/kernel|bias (highway
transform gate of hidden layers 1.., (width, width)), head/kernel, head/bias.
Autoencoders (`autoencoder_layout`): conv kernels (kh, kw, in, out) as in Keras (torch's OIHW is a
permutation of it); conv_enc{i}, enc{i}, code (or mu and logvar), dec{j}, conv_dec{j}.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Callable

import numpy as np

from impls.spec import CNN, GATES, MLP, RNN, Autoencoder, Init, ModelSpec, cnn_flat_features, cnn_shapes

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
        if model.highway and i > 0:
            w[f"gate{i}/kernel"] = draw(model.init, (fan, model.width), param_rng(seed, f"gate{i}/kernel"))
            w[f"gate{i}/bias"] = np.full((model.width,), model.highway_gate_bias)
        fan = model.width
    w["head/kernel"] = draw(model.head_init, (fan, n_out), param_rng(seed, "head/kernel"))
    w["head/bias"] = np.zeros(n_out)
    return w


def autoencoder_layout(m: Autoencoder, n_in: int) -> list[tuple[str, tuple[int, ...]]]:
    """(canonical kernel name, shape) in forward order, encoder first. Dense kernels (in, out),
    conv kernels (kh, kw, in, out). Tied decoder kernels are not parameters and are left out."""
    h, w, c = m.image
    k = m.kernel_size
    out: list[tuple[str, tuple[int, ...]]] = []
    chans = (c, *m.conv_channels)
    for i, (a, b) in enumerate(itertools.pairwise(chans)):
        out.append((f"conv_enc{i}/kernel", (k, k, a, b)))
    s = 2 ** len(m.conv_channels)
    flat = (h // s) * (w // s) * chans[-1] if m.conv_channels else n_in
    dense = (flat, *m.widths)
    for i, (a, b) in enumerate(itertools.pairwise(dense)):
        out.append((f"enc{i}/kernel", (a, b)))
    for name in ("mu", "logvar") if m.variational else ("code",):
        out.append((f"{name}/kernel", (dense[-1], m.code)))
    back = (m.code, *reversed(dense))
    if not m.tied:
        for j, (a, b) in enumerate(itertools.pairwise(back)):
            out.append((f"dec{j}/kernel", (a, b)))
    rev = tuple(reversed(chans))
    for j, (a, b) in enumerate(itertools.pairwise(rev)):
        out.append((f"conv_dec{j}/kernel", (k, k, a, b)))
    return out


def autoencoder_weights(model: Autoencoder, n_in: int, n_out: int, seed: int) -> Weights:
    """Every kernel from `model.init` on its own stream, every bias `bias_init`. Tied decoders keep
    their biases (dec{j}/bias) though their kernels are the encoder's, transposed."""
    w: Weights = {}
    layout = autoencoder_layout(model, n_in)
    for name, shape in layout:
        w[name] = draw(model.init, shape, param_rng(seed, name))
        w[name.replace("/kernel", "/bias")] = np.full((shape[-1],), model.bias_init)
    if model.tied:
        widths = [n_in, *model.widths, model.code][::-1]
        for j, b in enumerate(widths[1:]):
            w[f"dec{j}/bias"] = np.full((b,), model.bias_init)
    return w


def _norm_weights(w: Weights, prefix: str, kind: str, width: int) -> None:
    if kind != "none":
        w[f"{prefix}/gamma"] = np.ones(width)
        w[f"{prefix}/beta"] = np.zeros(width)
    if kind == "batch":
        w[f"{prefix}/mean"] = np.zeros(width)
        w[f"{prefix}/var"] = np.ones(width)


def cnn_weights(model: CNN, n_in: int, n_out: int, seed: int) -> Weights:
    """conv{i}/kernel (kh, kw, in, out), conv{i}/bias (none under cosine norm), conv{i}/g (out,)
    (learned weight norm only), norm{i}/* (channels,); dense{j}/..., dnorm{j}/*; head/*."""
    shapes = cnn_shapes(model)
    if n_in != int(np.prod(model.image)):
        raise ValueError(f"model.image={model.image} does not match {n_in} input features")
    w: Weights = {}

    def layer(name: str, shape: tuple[int, ...], norm: str) -> None:
        w[f"{name}/kernel"] = draw(model.init, shape, param_rng(seed, f"{name}/kernel"))
        if model.weight_norm != "cosine":
            w[f"{name}/bias"] = np.full((shape[-1],), model.bias_init)
        if model.weight_norm == "weight":
            w[f"{name}/g"] = np.ones(shape[-1])
        _norm_weights(w, norm, model.norm, shape[-1])

    for i, conv in enumerate(model.convs):
        layer(f"conv{i}", (conv.kernel, conv.kernel, shapes[i][2], conv.channels), f"norm{i}")
    fan = cnn_flat_features(model)
    for j, width in enumerate(model.dense):
        layer(f"dense{j}", (fan, width), f"dnorm{j}")
        fan = width
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
MAKERS: dict[str, Callable[..., Weights]] = {
    "mlp": mlp_weights,
    "autoencoder": autoencoder_weights,
    "cnn": cnn_weights,
    "rnn": rnn_weights,
}


def initial_weights(model: ModelSpec, n_in: int, n_out: int, seed: int, dtype: str) -> Weights:
    """Canonical initial weights for any model family (dispatch on `model.family`)."""
    weights = MAKERS[model.family](model, n_in, n_out, seed)
    return {k: v.astype(dtype) for k, v in weights.items()}
