"""Cross-framework ladder for the `rnn` family: the same canonical float64 weights in PyTorch and
TensorFlow give the same outputs, gradients and (batch norm) running statistics; each framework's
cells agree with the framework's own fused LSTM/GRU where those exist (the oracle for the gate
order, the forget-gate bias and GRU's reset-after form). Dropout masks come from each framework's
RNG and cannot match (an intentional difference): parity runs with dropout off, the masks' semantics
are tested in tests/impls/test_rnn_dropout.py."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.frameworks

torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")

from impls import data, init, spec  # noqa: E402
from impls.tf_impl import models as tf_models  # noqa: E402
from impls.torch_impl import models as torch_models  # noqa: E402
from runners.crosscheck_cases import RNN_CASES, rnn_model, rnn_name  # noqa: E402

# Observed max abs differences in float64 (outputs, gradients, running stats): <= 2e-15.
TOL = 1e-12

# The cases are shared with the ladder (`claimbench crosscheck --family rnn`).
CASES = RNN_CASES


def _pair(case: dict, seed: int = 3, steps: int = 6):
    m = rnn_model(case)
    x, y, _ = data.pool("adding", (("n", 16), ("seed", 1), ("steps", steps)))
    x, y = x.copy(), y.copy()  # the pool is read-only; torch wants writable arrays
    w = init.initial_weights(m, x.shape[1], 1, seed, "float64")
    # Perturb every weight so gammas, betas and running statistics are not trivially 1 / 0.
    rng = np.random.default_rng(0)
    w = {k: v + 0.1 * rng.normal(size=v.shape) if not k.endswith("_var") else v + 0.5 for k, v in w.items()}
    tn = torch_models.build(m, x.shape[1], 1, "float64")
    torch_models.load_weights(tn, w)
    fn = tf_models.build(m, x.shape[1], 1, "float64")
    tf_models.load_weights(fn, w)
    return m, x, y, w, tn, fn


def _torch_out_grads(tn, x, y, training):
    tn.train(training)
    out = tn(torch.from_numpy(x))
    loss = ((out - torch.from_numpy(y)) ** 2).mean()
    grads = torch.autograd.grad(loss, list(tn.parameters()))
    named = dict(zip([n for n, _ in tn.named_parameters()], grads, strict=True))
    return out.detach().numpy(), named


def _tf_out_grads(fn, x, y, training, graph):
    def f(xx):
        with tf.GradientTape() as tape:
            out = fn(xx, training=training)
            loss = tf.reduce_mean((out - y) ** 2)
        return out, tape.gradient(loss, fn.trainable_variables)

    out, grads = (tf.function(f, autograph=False) if graph else f)(tf.constant(x))
    return out.numpy(), grads


def _canonical_grads(net, grads_by_tensor):
    """canonical name -> gradient in the canonical layout."""
    out = {}
    for name, (tensor, perm) in net.canonical().items():
        g = grads_by_tensor.get(id(tensor))
        if g is not None:
            g = np.asarray(g)
            out[name] = g if perm is None else np.transpose(g, np.argsort(perm))
    return out


@pytest.mark.parametrize("case", CASES, ids=rnn_name)
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("graph", [False, True], ids=["eager-unrolled", "graph-while-loop"])
def test_forward_and_gradients_match(case, training, graph):
    _, x, y, _, tn, fn = _pair(case)
    out_t, g_t = _torch_out_grads(tn, x, y, training)
    out_f, g_f = _tf_out_grads(fn, x, y, training, graph)
    assert np.abs(out_t - out_f).max() < TOL
    torch_ids = {id(p): g for (_, p), g in zip(tn.named_parameters(), g_t.values(), strict=True)}
    tf_ids = {id(v): g for v, g in zip(fn.trainable_variables, g_f, strict=True)}
    ct, cf = _canonical_grads(tn, torch_ids), _canonical_grads(fn, tf_ids)
    assert set(ct) == set(cf) and len(ct) == len(list(tn.parameters()))
    for name in ct:
        assert np.abs(ct[name] - cf[name]).max() < TOL, name
    # training-mode batch norm updated the per-step running statistics identically
    et, ef = torch_models.export_weights(tn), tf_models.export_weights(fn)
    for name in et:
        assert np.abs(et[name] - ef[name]).max() < TOL, name


def test_parameter_counts_match_and_no_spare_biases():
    for case in CASES:
        _, _, _, w, tn, fn = _pair(case)
        n_t = sum(p.numel() for p in tn.parameters())
        n_f = sum(int(np.prod(v.shape)) for v in fn.trainable_variables)
        n_canon = sum(v.size for k, v in w.items() if not k.endswith(("_mean", "_var")))
        assert n_t == n_f == n_canon


def _torch_fused(m, w, n_in):
    """torch.nn.LSTM/GRU/RNN loaded from the canonical weights: weight_ih = kernel^T, one bias in
    bias_ih; bias_hh zero except GRU's b_hn (its reset-after form keeps it inside r * (.))."""
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[m.cell]
    net = cls(m.features, m.hidden, batch_first=True).double()
    with torch.no_grad():
        net.weight_ih_l0.copy_(torch.from_numpy(w["rnn0/kernel"].T.copy()))
        net.weight_hh_l0.copy_(torch.from_numpy(w["rnn0/recurrent"].T.copy()))
        net.bias_ih_l0.copy_(torch.from_numpy(w["rnn0/bias"]))
        bhh = np.zeros_like(w["rnn0/bias"])
        if m.cell == "gru":
            bhh[2 * m.hidden :] = w["rnn0/recurrent_bias"]
        net.bias_hh_l0.copy_(torch.from_numpy(bhh))
    return net


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_torch_cells_equal_torch_fused_layers(cell):
    m, x, _, w, tn, _ = _pair({"cell": cell})
    fused = _torch_fused(m, w, x.shape[1])
    seq = torch.from_numpy(x).reshape(len(x), -1, m.features)
    h_fused = fused(seq)[0][:, -1]
    keep: list = []
    tn.eval()
    tn(torch.from_numpy(x), keep)
    # observed 1e-16
    assert (h_fused - keep[0]).abs().max().item() < TOL


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_tf_cells_equal_keras_layers(cell):
    """Keras' LSTM gate order (i, f, c, o) equals ours; Keras' GRU is (z, r, h), ours (r, z, n),
    so its blocks are permuted; reset_after=True keeps the recurrent bias (2, 3H) in Keras."""
    import keras

    m, x, _, w, _, fn = _pair({"cell": cell})
    hsz = m.hidden
    kernel, recurrent, bias = w["rnn0/kernel"], w["rnn0/recurrent"], w["rnn0/bias"]
    if cell == "lstm":
        layer = keras.layers.LSTM(hsz, dtype="float64", unit_forget_bias=False)
        layer.build((None, None, m.features))
        layer.set_weights([kernel, recurrent, bias])
    else:
        order = np.r_[hsz : 2 * hsz, 0:hsz, 2 * hsz : 3 * hsz]  # (r, z, n) -> (z, r, h)
        rbias = np.zeros(3 * hsz)
        rbias[2 * hsz :] = w["rnn0/recurrent_bias"]
        layer = keras.layers.GRU(hsz, dtype="float64", reset_after=True)
        layer.build((None, None, m.features))
        layer.set_weights([kernel[:, order], recurrent[:, order], np.stack([bias[order], rbias[order]])])
    h_keras = layer(x.reshape(len(x), -1, m.features)).numpy()
    keep: list = []
    fn.call(tf.constant(x), training=False, keep=keep)  # __call__ would copy the list
    assert np.abs(h_keras - keep[0].numpy()).max() < TOL


def test_short_training_trajectories_match():
    """Adam on an LSTM with per-step batch norm, identical data order, float64: 20 updates."""
    from impls.tf_impl import train as tf_train
    from impls.torch_impl import train as torch_train

    s = spec.TrialSpec(
        data=spec.Data("adding", params=(("n", 200), ("seed", 0), ("steps", 5)), standardize=False),
        model=spec.RNN(cell="lstm", features=2, hidden=6, norm="batch", norm_gamma=0.1, head="mse"),
        optimizer=spec.Optimizer("adam", lr=0.01),
        training=spec.Training(epochs=2, batch_size=20, max_steps=20, dtype="float64"),
    )
    a = torch_train.run_trial(s, 5)
    b = tf_train.run_trial(s, 5)
    # observed 4e-15 after 20 updates
    for k in ("test/loss", "train/loss", "train/epoch_loss"):
        assert abs(a["metrics"][k] - b["metrics"][k]) < 1e-10, k


@pytest.mark.parametrize("net", ["rnn", "lstm", "mlp"])
def test_state_grads_experiment_matches(net):
    """The per-step (rnn) / per-layer (mlp) gradient norms of the state_grads experiment."""
    from impls.tf_impl import train as tf_train
    from impls.torch_impl import train as torch_train

    model: spec.ModelSpec = (
        spec.MLP(depth=5, width=6, activation="tanh", head="mse")
        if net == "mlp"
        else spec.RNN(cell=net, features=2, hidden=6, head="mse")
    )
    s = spec.TrialSpec(
        data=spec.Data("adding", params=(("n", 100), ("seed", 0), ("steps", 5)), standardize=False),
        model=model,
        optimizer=spec.Optimizer("adam", lr=0.01),
        training=spec.Training(epochs=1, batch_size=20, max_steps=3, dtype="float64"),
        probes=spec.Probes(probe_batch=50),
        experiment="state_grads",
    )
    a = torch_train.run_trial(s, 2)["metrics"]
    b = tf_train.run_trial(s, 2)["metrics"]
    keys = [k for k in a if k.startswith("probe/state_grad/")]
    assert len(keys) == 2 * (5 + 3) and set(keys) <= set(b)
    for k in keys:  # observed 1e-15 relative
        assert a[k] == pytest.approx(b[k], rel=1e-9, abs=1e-12), k
