"""The cross-framework regression ladder: PyTorch and TensorFlow must compute the same thing.

Four rungs, each a list of rows (one per case and compared quantity):

1. parameter counts and shapes: torch == tf == the closed form from the spec (and the golden table
   `tests/parity/golden_param_counts.json` when the source tree is present);
2. the same canonical weights (`impls.init`, loaded into torch, exported, loaded into tf): eval-mode
   outputs, the training loss and every gradient agree, for every MLP variant the spec expresses
   and representative CNN, RNN and autoencoder cases (`runners/crosscheck_cases.py`);
3. k updates on identical batches (`impls.data.batches` order) through the real engines: parameters
   and losses stay within a measured band, for sgd / momentum / nesterov / adam (MLP) and sgd / adam
   for every family; BN running statistics follow the one named difference (Keras BatchNormalization:
   biased batch variance, torch: unbiased; the hand-written recurrent BN is unbiased in both);
4. train/eval behaviour (MLP layers): dropout is the identity in eval mode, keeps 1-p and scales by
   1/(1-p) in train mode (statistically: the masks cannot match), norm epsilons are honoured.

Intentional differences, named where asserted: dropout / masking-noise masks and the VAE's eps come
from each framework's RNG, so stochastic cases are compared in eval mode (rung 2) and the VAE is fed
the same eps array in both frameworks (rungs 2 and 3).

Every tolerance below was MEASURED first on the development machine (one thread, CPU; torch 2.13,
TF 2.21) and then set with stated headroom; the observed figure is written beside it
(`runners/crosscheck_tolerances.py`). Framework imports happen inside functions, so importing
this module costs nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from impls import data, init
from impls.spec import CNN, MLP, RNN, Data, ModelSpec, TrialSpec, cnn_shapes
from runners.crosscheck_cases import BASE, FAMILIES, Case, TrajCase, exact_cases, trajectory_cases
from runners.crosscheck_tolerances import TOL, Z_MAX

DTYPES = ("float32", "float64")
SEED = 0
GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "parity" / "golden_param_counts.json"


# Helpers ------------------------------------------------------------------------------------------
def _row(
    rung: int,
    case: str,
    quantity: str,
    dtype: str,
    measured: float,
    key: str,
    note: str = "",
    family: str = "mlp",
) -> dict[str, Any]:
    tol = TOL[(key, dtype)] if key != "z" else Z_MAX
    measured = float(measured)
    return {
        "rung": rung,
        "family": family,
        "case": case,
        "quantity": quantity,
        "dtype": dtype,
        "measured": measured,
        "tolerance": tol,
        "passed": bool(math.isfinite(measured) and measured <= tol),
        "note": note,
    }


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max |a| (a is the torch value)."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a64 - b64)) / max(float(np.max(np.abs(a64))), 1e-300))


def _nrel(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / ||a|| (Frobenius)."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a64 - b64) / max(float(np.linalg.norm(a64)), 1e-300))


@contextmanager
def one_thread() -> Iterator[None]:
    import torch

    from impls.tf_impl import train as tf_train

    with suppress(RuntimeError):  # TF already fixed at another count in this process: still comparable
        tf_train.pin_threads(1)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng():  # the ladder seeds torch; leave the caller's RNG alone
            yield
    finally:
        torch.set_num_threads(before)


def _split(d: Data, dtype: str) -> data.Split:
    return data.load(d, SEED, dtype)


def _perturbed(weights: dict[str, np.ndarray], dtype: str) -> dict[str, np.ndarray]:
    """Canonical weights with non-trivial biases and norm parameters/statistics, so that a swapped
    gamma/beta or mean/var cannot hide behind the ones/zeros of a fresh initialisation."""
    rng = np.random.default_rng([SEED, 99])
    out = dict(weights)
    for k, v in weights.items():  # MLP/CNN "norm0/mean", RNN "norm0/x_mean"; weight-norm gain "/g"
        if k.endswith(("bias", "beta", "mean")):
            out[k] = (v + 0.1 * rng.normal(size=v.shape)).astype(dtype)
        elif k.endswith(("gamma", "/g")):
            out[k] = (v + 0.2 * rng.normal(size=v.shape)).astype(dtype)
        elif k.endswith("var"):
            out[k] = (v * np.exp(0.5 * rng.normal(size=v.shape))).astype(dtype)
    return out


def _torch_net(case_model: ModelSpec, n_in: int, n_out: int, dtype: str, w: dict[str, np.ndarray]) -> Any:
    from impls.torch_impl import models as tm

    net = tm.build(case_model, n_in, n_out, dtype)
    tm.load_weights(net, w)
    return net


def _tf_net(case_model: ModelSpec, n_in: int, n_out: int, dtype: str, w: dict[str, np.ndarray]) -> Any:
    from impls.tf_impl import models as fm

    net = fm.build(case_model, n_in, n_out, dtype)
    fm.load_weights(net, w)
    return net


# Rung 1 -------------------------------------------------------------------------------------------
def _is_stat(name: str) -> bool:
    """A running statistic (BN mean/var: MLP/CNN "norm0/var", RNN per-step "norm0/x_var")."""
    return name.endswith(("/mean", "/var", "_mean", "_var"))


def expected_counts(m: ModelSpec, n_in: int, n_out: int) -> dict[str, int]:
    """MLP: the closed form from the spec: Dense (in*out + out), highway gates (width^2 + width on
    layers 1..depth-1), norms 2*width trainable, BN 2*width running statistics. Other families: the
    canonical weights `impls.init` draws (an implementation independent of both frameworks)."""
    if not isinstance(m, MLP):
        w = init.initial_weights(m, n_in, n_out, SEED, "float64")
        stats = sum(v.size for k, v in w.items() if _is_stat(k))
        return {"trainable": sum(v.size for v in w.values()) - stats, "non_trainable": stats}
    trainable, fan = 0, n_in
    for i in range(m.depth):
        trainable += fan * m.width + m.width + (2 * m.width if m.norm != "none" else 0)
        trainable += m.width * m.width + m.width if m.highway and i > 0 else 0
        fan = m.width
    trainable += fan * n_out + n_out
    return {"trainable": trainable, "non_trainable": 2 * m.width * m.depth if m.norm == "batch" else 0}


COUNT_NOTE = (
    "not weights, not counted: torch BN num_batches_tracked (int counter), "
    "Keras Dropout seed_generator_state (RNG state)"
)


def framework_counts(
    m: ModelSpec, n_in: int, n_out: int, dtype: str, nets: tuple[Any, Any] | None = None
) -> dict[str, dict[str, int]]:
    """Trainable and non-trainable (floating) parameter counts as each framework reports them
    (of `nets` = (torch net, tf net) when given, else of freshly built ones)."""
    from impls.tf_impl import models as fm
    from impls.torch_impl import models as tm

    tn, fn = nets or (tm.build(m, n_in, n_out, dtype), fm.build(m, n_in, n_out, dtype))
    torch_counts = {
        "trainable": sum(p.numel() for p in tn.parameters() if p.requires_grad),
        "non_trainable": sum(b.numel() for b in tn.buffers() if b.is_floating_point()),
    }
    tf_counts = {
        "trainable": sum(int(np.prod(v.shape)) for v in fn.trainable_variables),
        "non_trainable": sum(
            int(np.prod(v.shape)) for v in fn.non_trainable_variables if "seed_generator" not in v.path
        ),
    }
    return {"torch": torch_counts, "tf": tf_counts}


def case_dims(case: Case) -> tuple[int, int]:
    split = _split(case.data, "float64")
    return split.x_train.shape[1], split.n_outputs


def param_counts() -> dict[str, dict[str, int]]:
    """{case name: {n_in, n_out, trainable, non_trainable}} (torch's count; rung 1 checks tf's)."""
    out = {}
    for case in exact_cases():
        n_in, n_out = case_dims(case)
        c = framework_counts(case.model, n_in, n_out, "float32")["torch"]
        out[case.name] = {"n_in": n_in, "n_out": n_out, **c}
    return out


def rung1(dtype: str, cases: list[Case] | None = None) -> list[dict[str, Any]]:
    from impls.tf_impl import models as fm
    from impls.torch_impl import models as tm

    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    rows = []
    for case in exact_cases() if cases is None else cases:
        fam = case.family
        ref = "closed form" if fam == "mlp" else "impls.init"
        n_in, n_out = case_dims(case)
        tn, fn = tm.build(case.model, n_in, n_out, dtype), fm.build(case.model, n_in, n_out, dtype)
        counts = framework_counts(case.model, n_in, n_out, dtype, (tn, fn))
        want = expected_counts(case.model, n_in, n_out)
        bad = sum(
            abs(counts[fw][k] - want[k]) for fw in ("torch", "tf") for k in ("trainable", "non_trainable")
        )
        rows.append(
            _row(1, case.name, f"param counts: torch, tf vs {ref}", dtype, bad, "count", COUNT_NOTE, fam)
        )
        if case.name in golden:
            g = golden[case.name]
            bad = sum(
                abs(counts[fw][k] - g[k]) for fw in ("torch", "tf") for k in ("trainable", "non_trainable")
            )
            rows.append(_row(1, case.name, "param counts vs golden table", dtype, bad, "count", family=fam))
        # Shapes and names, in the canonical layout, vs impls.init.
        w0 = init.initial_weights(case.model, n_in, n_out, SEED, dtype)
        shapes = {k: v.shape for k, v in w0.items()}
        t_exp, f_exp = tm.export_weights(tn), fm.export_weights(fn)
        mism = sum(
            1
            for exp in (t_exp, f_exp)
            for k in set(shapes) | set(exp)
            if k not in exp or k not in shapes or tuple(exp[k].shape) != shapes[k] or exp[k].dtype != dtype
        )
        quantity = "canonical names/shapes/dtypes mismatches"
        rows.append(_row(1, case.name, quantity, dtype, mism, "count", family=fam))
    return rows


# Rung 2 -------------------------------------------------------------------------------------------
def _to_canonical(value: np.ndarray, perm: tuple[int, ...] | None) -> np.ndarray:
    """A framework tensor (the canonical array transposed by `perm`, see `net.canonical()`) in the
    canonical layout, as `export_weights` does."""
    return value if perm is None else np.transpose(value, np.argsort(perm))


def _stochastic(m: ModelSpec) -> bool:
    """Train mode draws masks (dropout, masking noise) from each framework's RNG: they cannot match."""
    return any(
        getattr(m, k, 0.0)
        for k in ("dropout", "input_dropout", "recurrent_dropout", "output_dropout", "mask_noise")
    )


VAE_NOTE = "intentional: VAE eps comes from each framework's RNG; both are fed the same numpy eps"


def _fixed_noise(m: ModelSpec, nets: tuple[Any, Any], batch: int, dtype: str) -> str:
    """A VAE draws eps ~ N(0, I) from each framework's RNG (an intentional difference): feed both
    nets the same numpy eps instead. Returns the note for the rows ('' when not a VAE)."""
    if not getattr(m, "variational", False):
        return ""
    import tensorflow as tf
    import torch

    eps = np.random.default_rng([SEED, 7]).normal(size=(batch, m.code)).astype(dtype)  # type: ignore[attr-defined]
    nets[0].noise = lambda shape, dt: torch.from_numpy(eps)
    nets[1].noise = lambda shape, dt: tf.constant(eps)
    return VAE_NOTE


def _is_kernel(name: str) -> bool:
    return name.endswith(("/kernel", "/recurrent"))


def _loss_and_grads_torch(net: Any, case: Case, x: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    import torch

    from impls.torch_impl import losses

    t = case.training
    net.train()
    loss = losses.head_loss(net(torch.from_numpy(x)), torch.from_numpy(y), case.model.head, t.loss_reduction)
    extra = net.extra_loss(t.loss_reduction) if hasattr(net, "extra_loss") else None  # VAE KL
    if extra is not None:
        loss = loss + extra
    if t.l2:
        loss = loss + 0.5 * t.l2 * sum((k**2).sum() for k in net.kernels())
    pairs = {k: v for k, v in net.canonical().items() if v[0].requires_grad}
    grads = torch.autograd.grad(loss, [v[0] for v in pairs.values()])
    return float(loss.detach()), {
        k: _to_canonical(g.numpy(), perm) for (k, (_, perm)), g in zip(pairs.items(), grads, strict=True)
    }


def _loss_and_grads_tf(net: Any, case: Case, x: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    import tensorflow as tf

    from impls.tf_impl import losses

    t = case.training
    pairs = {k: v for k, v in net.canonical().items() if v[0].trainable}
    with tf.GradientTape() as tape:
        loss = losses.head_loss(
            net(tf.constant(x), training=True), tf.constant(y), case.model.head, t.loss_reduction
        )
        extra = net.extra_loss(t.loss_reduction) if hasattr(net, "extra_loss") else None
        if extra is not None:
            loss += extra
        if t.l2:
            loss += 0.5 * t.l2 * tf.add_n([tf.reduce_sum(k**2) for k in net.kernels()])
    grads = tape.gradient(loss, [v[0] for v in pairs.values()])
    return float(loss), {
        k: _to_canonical(g.numpy(), perm) for (k, (_, perm)), g in zip(pairs.items(), grads, strict=True)
    }


def rung2(dtype: str, batch: int = 64, cases: list[Case] | None = None) -> list[dict[str, Any]]:
    import torch

    from impls.tf_impl import models as fm
    from impls.torch_impl import models as tm

    rows = []
    for case in exact_cases() if cases is None else cases:
        fam = case.family
        split = _split(case.data, dtype)
        x, y = split.x_train[:batch], split.y_train[:batch]
        n_in, n_out = x.shape[1], split.n_outputs
        w = _perturbed(init.initial_weights(case.model, n_in, n_out, SEED, dtype), dtype)
        tnet = _torch_net(case.model, n_in, n_out, dtype, w)
        fnet = _tf_net(case.model, n_in, n_out, dtype, tm.export_weights(tnet))  # torch -> tf
        back = fm.export_weights(fnet)
        rt = max(float(np.max(np.abs(back[k].astype(np.float64) - w[k]))) for k in w)
        rt += sum(1 for k in set(back) ^ set(w))
        quantity = "weights canonical -> torch -> tf -> canonical, max abs"
        rows.append(_row(2, case.name, quantity, dtype, rt, "roundtrip", family=fam))

        tnet.eval()
        with torch.no_grad():
            out_t = tnet(torch.from_numpy(x)).numpy()
        out_f = fnet(x, training=False).numpy()
        quantity = "eval outputs, max|d|/max|torch|"
        rows.append(_row(2, case.name, quantity, dtype, _rel(out_t, out_f), "forward", family=fam))
        if _stochastic(case.model):
            continue  # train-mode loss/gradients depend on the masks: rung 4 covers dropout
        note = _fixed_noise(case.model, (tnet, fnet), len(x), dtype)
        lt, gt = _loss_and_grads_torch(tnet, case, x, y)
        lf, gf = _loss_and_grads_tf(fnet, case, x, y)
        rel_loss = abs(lt - lf) / abs(lt)
        rows.append(_row(2, case.name, "train-mode loss, relative", dtype, rel_loss, "loss", note, fam))
        worst = max((k for k in gt if _is_kernel(k)), key=lambda k: _nrel(gt[k], gf.get(k, 0 * gt[k])))
        quantity = f"kernel grads, max_layer ||d||/||torch|| (worst {worst})"
        measured = _nrel(gt[worst], gf.get(worst, 0 * gt[worst]))
        rows.append(_row(2, case.name, quantity, dtype, measured, "grad_kernel", note, fam))
        names = sorted(gt)
        flat_t = np.concatenate([gt[k].ravel() for k in names]) if set(gt) == set(gf) else np.ones(1)
        flat_f = np.concatenate([gf[k].ravel() for k in names]) if set(gt) == set(gf) else np.zeros(1)
        quantity = "all trainable grads, ||d||/||torch||"
        rows.append(_row(2, case.name, quantity, dtype, _nrel(flat_t, flat_f), "grad_all", note, fam))
    return rows


# Rung 3 -------------------------------------------------------------------------------------------
def trajectory(tc: TrajCase, dtype: str, steps: int) -> dict[str, Any]:
    """Run both engines `steps` updates on identical batches; returns losses and final weights."""
    import torch

    from impls.tf_impl import train as tf_train
    from impls.torch_impl import models as tm
    from impls.torch_impl import train as torch_train

    spec = TrialSpec(tc.data, tc.model, tc.optimizer, replace(tc.training, dtype=dtype))
    split = _split(tc.data, dtype)
    n_in, n_out = split.x_train.shape[1], split.n_outputs
    w0 = init.initial_weights(tc.model, n_in, n_out, SEED, dtype)
    torch.manual_seed(SEED)
    tnet = _torch_net(tc.model, n_in, n_out, dtype, w0)
    teng = torch_train.TorchEngine(spec, tnet)
    feng = tf_train.TFEngine(spec, n_in, n_out)  # not the worker cache: the VAE's noise is replaced
    feng.reset(tm.export_weights(tnet), SEED, spec)  # torch -> tf
    bs = tc.training.batch_size
    note = _fixed_noise(tc.model, (tnet, feng.net), bs, dtype)  # before the first trace
    per_epoch = len(split.x_train) // bs
    order = data.batches(len(split.x_train), bs, -(-steps // per_epoch), SEED, drop_last=True)
    idx = [b for epoch in order for b in epoch][:steps]
    lt = [teng.step(split.x_train[i], split.y_train[i]) for i in idx]
    lf = [feng.step(split.x_train[i], split.y_train[i]) for i in idx]
    return {
        "w0": w0,
        "torch": teng.export(),
        "tf": feng.export(),
        "loss_torch": lt,
        "loss_tf": lf,
        "n": bs,
        "note": note,
    }


def bn_var_factor(m: ModelSpec, key: str, batch: int) -> float:
    """Ratio of the batch variances torch and tf put into running statistic `key`: n/(n-1) for
    Keras' BatchNormalization (biased) vs torch's (unbiased), n the values per channel (batch, times
    H*W after conv i in the CNN); 1 for the recurrent BN, hand-written unbiased in both."""
    if isinstance(m, RNN):
        return 1.0
    n = batch
    if isinstance(m, CNN) and key.startswith("norm"):
        i = int(key.split("/")[0][4:])
        h, w, _ = cnn_shapes(m)[i]
        c = m.convs[i]
        n *= ((h + 2 * c.padding - c.kernel) // c.stride + 1) * (
            (w + 2 * c.padding - c.kernel) // c.stride + 1
        )
    return n / (n - 1)


def rung3(dtype: str, steps: int, cases: list[TrajCase] | None = None) -> list[dict[str, Any]]:
    rows = []
    for tc in trajectory_cases() if cases is None else cases:
        fam = tc.family
        r = trajectory(tc, dtype, steps)
        wt, wf = r["torch"], r["tf"]
        stats = [k for k in wt if _is_stat(k)]
        params = [k for k in wt if k not in stats]
        dp = max(float(np.max(np.abs(wt[k].astype(np.float64) - wf[k]))) for k in params)
        quantity = f"params after {steps} steps, max abs"
        rows.append(_row(3, tc.name, quantity, dtype, dp, "traj_param", r["note"], fam))
        lt, lf = np.array(r["loss_torch"]), np.array(r["loss_tf"])
        dl = float(np.max(np.abs(lt - lf) / np.maximum(np.abs(lt), 1.0)))
        quantity = f"batch losses over {steps} steps, max |d|/max(1,|loss|)"
        rows.append(_row(3, tc.name, quantity, dtype, dl, "traj_loss", r["note"], fam))
        if not stats:
            continue
        # BN running statistics. Both follow r_k = (1-m) r_{k-1} + m s_k from r_0 (mean 0, var 1);
        # torch's s_k is the unbiased batch variance, Keras' the biased one, so with a fixed batch
        # size n: torch_var - (1-m)^k v0 = n/(n-1) * (tf_var - (1-m)^k v0) exactly.
        n, m = r["n"], tc.model.bn_momentum  # type: ignore[attr-defined]
        decay = (1.0 - m) ** steps
        means = [k for k in stats if k.endswith("mean")]
        dm = max(float(np.max(np.abs(wt[k].astype(np.float64) - wf[k]))) for k in means)
        quantity = f"BN running mean after {steps} steps, max abs"
        rows.append(_row(3, tc.name, quantity, dtype, dm, "bn_mean", family=fam))
        worst_corr, worst_gap, factors = 0.0, 0.0, set()
        for k in (k for k in stats if k.endswith("var")):
            f = bn_var_factor(tc.model, k, n)
            factors.add(round(f, 6))
            v0 = r["w0"][k].astype(np.float64)
            vt, vf = wt[k].astype(np.float64), wf[k].astype(np.float64)
            predicted = decay * v0 + f * (vf - decay * v0)
            worst_corr = max(worst_corr, _rel(vt, predicted))
            if f != 1.0:
                gap_pred = (f - 1.0) * (vf - decay * v0)
                worst_gap = max(worst_gap, _rel(gap_pred, vt - vf))
        if factors == {1.0}:
            note = "recurrent BN: unbiased batch variance in both frameworks (no correction)"
            quantity = "BN running var: torch vs tf, relative"
            rows.append(_row(3, tc.name, quantity, dtype, worst_corr, "bn_var_rnn", note, fam))
            continue
        per = "n = batch*H*W per conv channel, batch for dense" if isinstance(tc.model, CNN) else f"n={n}"
        note = f"intentional: torch running_var uses unbiased batch var, Keras biased (factor n/(n-1), {per})"
        quantity = "BN running var: torch vs tf corrected by n/(n-1), relative"
        rows.append(_row(3, tc.name, quantity, dtype, worst_corr, "bn_var", note, fam))
        quantity = "BN running var gap torch-tf vs predicted gap, relative"
        key = "bn_gap_conv" if isinstance(tc.model, CNN) else "bn_gap"
        rows.append(_row(3, tc.name, quantity, dtype, worst_gap, key, note, fam))
    return rows


# Rung 4 -------------------------------------------------------------------------------------------
def _dropout_stats(
    apply: Callable[[np.ndarray], np.ndarray], p: float, dtype: str, n: int
) -> tuple[float, float]:
    """(z-score of the keep rate vs 1-p, max relative deviation of kept values from 1/(1-p))."""
    y = np.asarray(apply(np.ones(n, dtype=dtype)), np.float64)
    kept = y != 0
    rate = float(kept.mean())
    z = abs(rate - (1 - p)) / math.sqrt(p * (1 - p) / n)
    scale = float(np.max(np.abs(y[kept] * (1 - p) - 1.0)))
    return z, scale


def rung4(dtype: str) -> list[dict[str, Any]]:
    import tensorflow as tf
    import torch

    from impls.torch_impl import models as tm

    rows = []
    # Dropout layers as the models hold them, train mode: keep rate and inverse scaling.
    m = replace(BASE, dropout=0.3, input_dropout=0.2)
    tnet = tm.build(m, 8, 3, dtype)
    fnet = _tf_net(m, 8, 3, dtype, tm.export_weights(tnet))
    tnet.train()
    torch.manual_seed(SEED)
    fnet.seed_dropout(SEED)
    n = 200_000
    for label, p, tlayer, flayer in (
        ("hidden", m.dropout, tnet.drop, fnet.drop),
        ("input", m.input_dropout, tnet.in_drop, fnet.in_drop),
    ):
        for fw, fn in (
            ("torch", lambda a, lay=tlayer: lay(torch.from_numpy(a)).detach().numpy()),
            ("tf", lambda a, lay=flayer: lay(tf.constant(a), training=True).numpy()),
        ):
            z, scale = _dropout_stats(fn, p, dtype, n)
            case = f"dropout/{label} p={p}/{fw}"
            rows.append(
                _row(4, case, f"train keep rate vs 1-p, |z| (n={n})", dtype, z, "z", "masks differ by design")
            )
            rows.append(_row(4, case, "kept values * (1-p) - 1, max abs", dtype, scale, "dropout_scale"))

    # Whole model, linear activations: E[train output] = eval output iff the scaling is 1/(1-p).
    lin = replace(BASE, depth=2, activation="linear", dropout=0.5, input_dropout=0.2)
    split = _split(Data("digits"), dtype)
    x = split.x_train[:4]
    reps = 2500
    xr = np.tile(x, (reps, 1))
    w = _perturbed(init.initial_weights(lin, x.shape[1], 10, SEED, dtype), dtype)
    tnet = _torch_net(lin, x.shape[1], 10, dtype, w)
    fnet = _tf_net(lin, x.shape[1], 10, dtype, w)
    fnet.seed_dropout(SEED)
    tnet.eval()
    with torch.no_grad():
        ev_t = tnet(torch.from_numpy(x)).numpy()
    ev_f = fnet(x, training=False).numpy()
    tnet.train()
    with torch.no_grad():
        tr_t = tnet(torch.from_numpy(xr)).numpy().reshape(reps, *ev_t.shape).astype(np.float64)
    tr_f = fnet(xr, training=True).numpy().reshape(reps, *ev_f.shape).astype(np.float64)
    for fw, ev, tr in (("torch", ev_t, tr_t), ("tf", ev_f, tr_f)):
        se = tr.std(axis=0, ddof=1) / math.sqrt(reps)
        z = float(np.max(np.abs(tr.mean(axis=0) - ev) / se))
        rows.append(
            _row(
                4,
                f"linear/depth2/dropout p=0.5,in=0.2/{fw}",
                f"mean train output vs eval, max |z| ({reps} masks)",
                dtype,
                z,
                "z",
                "masks differ by design",
            )
        )

    # Norm epsilon honoured: inputs whose variance is ~eps, so eps changes the output by ~sqrt(2).
    rng = np.random.default_rng([SEED, 5])
    for eps in (1e-5, 1e-2):
        for norm in ("layer", "batch"):
            mm = replace(BASE, depth=1, norm=norm, norm_eps=eps)
            w = _perturbed(init.initial_weights(mm, 4, 2, SEED, dtype), dtype)
            if norm == "batch":
                w["norm0/var"] = np.full_like(w["norm0/var"], eps)  # eval mode: moving var ~ eps
            tnet = _torch_net(mm, 4, 2, dtype, w)
            fnet = _tf_net(mm, 4, 2, dtype, w)
            inp = (1.0 + math.sqrt(eps) * rng.normal(size=(16, mm.width))).astype(dtype)
            g, b = w["norm0/gamma"].astype(np.float64), w["norm0/beta"].astype(np.float64)
            z64 = inp.astype(np.float64)
            if norm == "layer":
                mu, var = z64.mean(axis=1, keepdims=True), z64.var(axis=1, keepdims=True)
            else:
                mu, var = w["norm0/mean"].astype(np.float64), w["norm0/var"].astype(np.float64)
            want = g * (z64 - mu) / np.sqrt(var + eps) + b
            tnet.eval()
            with torch.no_grad():
                got_t = tnet.norms[0](torch.from_numpy(inp)).numpy()
            got_f = fnet.norms[0](tf.constant(inp), training=False).numpy()
            label = "layernorm" if norm == "layer" else "batchnorm(eval)"
            for fw, got in (("torch", got_t), ("tf", got_f)):
                rows.append(
                    _row(
                        4,
                        f"{label} eps={eps:g}/{fw}",
                        "output on var~eps input vs numpy with spec eps, max|d|/max|ref|",
                        dtype,
                        _rel(want - b, got.astype(np.float64) - b),
                        "eps",
                    )
                )
    return rows


# Entry points -------------------------------------------------------------------------------------
def run_ladder(dtype: str = "float64", family: str | None = None, steps: int = 100) -> list[dict[str, Any]]:
    """All four rungs for one dtype and `family` (None: every family; rung 4 is the MLP's layers);
    one row per (rung, case, quantity)."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype={dtype!r}, expected one of {DTYPES}")
    if family is not None and family not in FAMILIES:
        raise ValueError(f"family={family!r}, expected one of {FAMILIES}")
    if steps < 1:
        raise ValueError(f"steps={steps} must be >= 1")
    cases, traj = exact_cases(family), trajectory_cases(family)
    with one_thread():
        rows = rung1(dtype, cases) + rung2(dtype, cases=cases) + rung3(dtype, steps, traj)
        return rows + (rung4(dtype) if family in (None, "mlp") else [])


def render_markdown(rows: list[dict[str, Any]]) -> str:
    """A markdown page: a summary line and one table row per check."""
    failed = sum(1 for r in rows if not r["passed"])
    dtypes = ", ".join(sorted({r["dtype"] for r in rows}))
    lines = [
        "# Cross-framework regression ladder (PyTorch vs TensorFlow)",
        "",
        f"{len(rows) - failed}/{len(rows)} checks passed ({dtypes}). Rungs: 1 parameter counts and "
        "shapes; 2 same weights -> same outputs, loss, gradients; 3 training trajectories on identical "
        "batches; 4 train/eval behaviour (dropout, norm epsilon). Tolerances were measured first and "
        "set with headroom (see `runners/crosscheck.py`).",
        "",
        "| rung | case | quantity | dtype | measured | tolerance | pass/fail | note |",
        "|---:|---|---|---|---:|---:|---|---|",
    ]

    def cell(s: str) -> str:
        return str(s).replace("|", "\\|")

    for r in rows:
        lines.append(
            f"| {r['rung']} | {cell(r['case'])} | {cell(r['quantity'])} | {r['dtype']} | "
            f"{r['measured']:.3g} | {r['tolerance']:.3g} | {'pass' if r['passed'] else '**FAIL**'} | "
            f"{cell(r['note'])} |"
        )
    return "\n".join(lines) + "\n"
