"""The cross-framework regression ladder: PyTorch and TensorFlow must compute the same thing.

Four rungs, each a list of rows (one per case and compared quantity):

1. parameter counts and shapes: torch == tf == the closed form from the spec (and the golden table
   `tests/parity/golden_param_counts.json` when the source tree is present);
2. the same canonical weights (`impls.init`, loaded into torch, exported, loaded into tf): eval-mode
   outputs, the training loss and every gradient agree, for every MLP variant the spec expresses;
3. k updates on identical batches (`impls.data.batches` order) through the real engines: parameters
   and losses stay within a measured band, for sgd / momentum / nesterov / adam; BN running
   statistics follow the one named difference (Keras: biased batch variance, torch: unbiased);
4. train/eval behaviour: dropout is the identity in eval mode, keeps 1-p and scales by 1/(1-p) in
   train mode (statistically: the masks cannot match), norm epsilons are honoured.

Every tolerance below was MEASURED first on the development machine (one thread, CPU; torch 2.13,
TF 2.21) and then set with stated headroom; the observed figure is written beside it. Framework
imports happen inside functions, so importing this module costs nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from impls import data, init
from impls.spec import ACTIVATIONS, MLP, Data, Init, Optimizer, Training, TrialSpec

FAMILIES = ("mlp",)
DTYPES = ("float32", "float64")
SEED = 0
GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "parity" / "golden_param_counts.json"

# Tolerances ---------------------------------------------------------------------------------------
# (quantity key, dtype) -> tolerance. Observed = the largest value over all cases of that rung on
# the development machine (1 thread). Headroom is stated per line.
TOL: dict[tuple[str, str], float] = {
    # rung 1: integers and shapes must be identical
    ("count", "float64"): 0.0,
    ("count", "float32"): 0.0,
    # rung 2: weight transfer canonical -> torch -> tf -> canonical is a copy: bit-exact
    ("roundtrip", "float64"): 0.0,
    ("roundtrip", "float32"): 0.0,
    # rung 2: eval-mode outputs, max|a-b| / max|a|
    ("forward", "float64"): 1e-13,  # observed 9.3e-16 (layernorm-after) -> ~110x
    ("forward", "float32"): 1e-5,  # observed 3.7e-7 (layernorm-after) -> ~30x
    # rung 2: training loss (train mode), |a-b| / |a|
    ("loss", "float64"): 3e-14,  # observed 3.2e-16 -> ~90x
    ("loss", "float32"): 5e-6,  # observed 9.4e-8 (mish) -> ~50x
    # rung 2: kernel gradients, max over layers of ||ga-gb|| / ||ga||
    ("grad_kernel", "float64"): 1e-13,  # observed 1.2e-15 (residual+batchnorm-after) -> ~85x
    ("grad_kernel", "float32"): 3e-5,  # observed 5.1e-7 (residual+batchnorm-after) -> ~60x
    # rung 2: all trainable gradients as one vector, ||ga-gb|| / ||ga||
    ("grad_all", "float64"): 1e-13,  # observed 1.0e-15 -> ~95x
    ("grad_all", "float32"): 3e-5,  # observed 4.8e-7 -> ~60x
    # rung 3: after k=100 updates, max |w_torch - w_tf| over all trainable parameters
    ("traj_param", "float64"): 5e-13,  # observed 5.0e-15 (momentum) -> 100x
    ("traj_param", "float32"): 1e-4,  # observed 1.9e-6 (nesterov) -> ~55x
    # rung 3: over k=100 updates, max |loss_torch - loss_tf| / max(1, |loss_torch|)
    ("traj_loss", "float64"): 5e-13,  # observed 6.3e-15 (nesterov) -> ~80x
    ("traj_loss", "float32"): 3e-4,  # observed 7.5e-6 (adam) -> 40x
    # rung 3: BN running mean after k=100 updates, max |torch - tf|
    ("bn_mean", "float64"): 5e-14,  # observed 8.1e-16 -> ~60x
    ("bn_mean", "float32"): 2e-5,  # observed 2.8e-7 -> ~70x
    # rung 3: BN running var, torch vs tf corrected by n/(n-1), max|d| / max|torch|
    ("bn_var", "float64"): 5e-14,  # observed 6.0e-16 -> ~85x
    ("bn_var", "float32"): 3e-5,  # observed 3.8e-7 -> ~80x
    # rung 3: observed gap torch - tf vs the predicted gap (n/(n-1) - 1) * (tf EMA), relative
    # (the gap is ~3% of the variance, so it carries ~30x the relative error of the variances)
    ("bn_gap", "float64"): 1e-12,  # observed 1.9e-14 -> ~50x
    ("bn_gap", "float32"): 1e-3,  # observed 1.2e-5 -> ~80x
    # rung 4: kept values * (1-p) - 1 (1/(1-p) is rounded once: a few ulp)
    ("dropout_scale", "float64"): 1e-14,  # observed 0.0 (1 ulp = 2.2e-16 -> 45 ulp)
    ("dropout_scale", "float32"): 1e-6,  # observed 2.4e-8 -> ~40x
    # rung 4: norm output on inputs with variance ~eps vs numpy with the spec's eps, relative
    # (a wrong eps, e.g. Keras' default 1e-3 for 1e-5, is off by > 0.5)
    ("eps", "float64"): 3e-12,  # observed 4.6e-14 (layernorm, cancellation of the mean) -> ~65x
    ("eps", "float32"): 1e-3,  # observed 2.6e-5 (layernorm) -> ~40x
}
# rung 4 statistics are z-scores (deterministic under the fixed seeds): |observed - expected| / se.
Z_MAX = 5.0  # observed |z| <= 2.3 (keep rate), <= 3.1 (max over 40 outputs, mean vs eval)


# Cases --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    name: str
    model: MLP
    training: Training = field(default_factory=Training)
    data: Data = field(default_factory=lambda: Data("digits"))


BASE = MLP(depth=3, width=32, activation="relu", init=Init("glorot_uniform"), bias_init=0.05)
TEACHER = Data("teacher_student", params=(("n", 512), ("outputs", 3)))


def exact_cases() -> list[Case]:
    """Rungs 1 and 2: every MLP variant the spec expresses (dropout 0; the dropout case checks eval
    mode only)."""
    cases = [Case(f"{a}/depth3/none", replace(BASE, activation=a)) for a in ACTIVATIONS]
    for norm, label in (("batch", "batchnorm"), ("layer", "layernorm")):
        for pos in ("before", "after"):
            cases.append(Case(f"relu/depth3/{label}-{pos}", replace(BASE, norm=norm, norm_position=pos)))
    cases += [
        Case("tanh/depth3/residual", replace(BASE, activation="tanh", residual=True)),
        Case(
            "relu/depth3/residual+batchnorm-after",
            replace(BASE, residual=True, norm="batch", norm_position="after"),
        ),
        Case("relu/depth3/none/hinge", replace(BASE, head="hinge")),
        Case("relu/depth3/none/squared_hinge", replace(BASE, head="squared_hinge")),
        Case("tanh/depth3/none/mse", replace(BASE, activation="tanh", head="mse"), data=TEACHER),
        Case("relu/depth3/none/l2", BASE, Training(l2=1e-2)),
        Case("relu/depth3/none/sum", BASE, Training(loss_reduction="sum")),
        Case(
            "relu/depth3/layernorm-before/l2+sum",
            replace(BASE, norm="layer"),
            Training(l2=1e-3, loss_reduction="sum"),
        ),
        Case("linear/depth0/none", replace(BASE, depth=0, activation="linear")),
        Case("relu/depth3/dropout", replace(BASE, dropout=0.5, input_dropout=0.2)),
    ]
    return cases


@dataclass(frozen=True)
class TrajCase:
    name: str
    model: MLP
    optimizer: Optimizer
    training: Training = field(default_factory=lambda: Training(batch_size=32, drop_last=True))


def trajectory_cases() -> list[TrajCase]:
    m = replace(BASE, depth=2)
    bn = replace(m, norm="batch", norm_position="before")
    return [
        TrajCase("sgd", m, Optimizer("sgd", lr=0.1)),
        TrajCase("momentum", m, Optimizer("momentum", lr=0.05, momentum=0.9)),
        TrajCase("nesterov", m, Optimizer("nesterov", lr=0.05, momentum=0.9)),
        TrajCase("adam", m, Optimizer("adam", lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)),
        TrajCase("adagrad", m, Optimizer("adagrad", lr=0.05, eps=1e-10, initial_accumulator=0.1)),
        TrajCase("adadelta", m, Optimizer("adadelta", lr=1.0, rho=0.9, eps=1e-6)),
        TrajCase("rmsprop", m, Optimizer("rmsprop", lr=1e-3, rho=0.9, eps=1e-8)),
        TrajCase("adam_nobc", m, Optimizer("adam_nobc", lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)),
        TrajCase("adamod", m, Optimizer("adamod", lr=1e-3, beta1=0.9, beta2=0.999, beta3=0.999, eps=1e-8)),
        TrajCase("sgd/backstitch", m, Optimizer("sgd", lr=0.05, backstitch=0.3)),
        TrajCase(
            "sgd/l2+sum",
            m,
            Optimizer("sgd", lr=0.005),
            Training(batch_size=32, drop_last=True, l2=1e-2, loss_reduction="sum"),
        ),
        TrajCase("momentum/batchnorm-before", bn, Optimizer("momentum", lr=0.05, momentum=0.9)),
    ]


# Helpers ------------------------------------------------------------------------------------------
def _row(
    rung: int, case: str, quantity: str, dtype: str, measured: float, key: str, note: str = ""
) -> dict[str, Any]:
    tol = TOL[(key, dtype)] if key != "z" else Z_MAX
    measured = float(measured)
    return {
        "rung": rung,
        "family": "mlp",
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
    for k, v in weights.items():
        if k.endswith(("/bias", "/beta", "/mean")):
            out[k] = (v + 0.1 * rng.normal(size=v.shape)).astype(dtype)
        elif k.endswith("/gamma"):
            out[k] = (v + 0.2 * rng.normal(size=v.shape)).astype(dtype)
        elif k.endswith("/var"):
            out[k] = (v * np.exp(0.5 * rng.normal(size=v.shape))).astype(dtype)
    return out


def _torch_net(case_model: MLP, n_in: int, n_out: int, dtype: str, w: dict[str, np.ndarray]) -> Any:
    from impls.torch_impl import models as tm

    net = tm.build(case_model, n_in, n_out, dtype)
    tm.load_weights(net, w)
    return net


def _tf_net(case_model: MLP, n_in: int, n_out: int, dtype: str, w: dict[str, np.ndarray]) -> Any:
    from impls.tf_impl import models as fm

    net = fm.build(case_model, n_in, n_out, dtype)
    fm.load_weights(net, w)
    return net


# Rung 1 -------------------------------------------------------------------------------------------
def expected_counts(m: MLP, n_in: int, n_out: int) -> dict[str, int]:
    """The closed form from the spec: Dense (in*out + out), norms 2*width trainable, BN 2*width
    running statistics."""
    trainable, fan = 0, n_in
    for _ in range(m.depth):
        trainable += fan * m.width + m.width + (2 * m.width if m.norm != "none" else 0)
        fan = m.width
    trainable += fan * n_out + n_out
    return {"trainable": trainable, "non_trainable": 2 * m.width * m.depth if m.norm == "batch" else 0}


COUNT_NOTE = (
    "not weights, not counted: torch BN num_batches_tracked (int counter), "
    "Keras Dropout seed_generator_state (RNG state)"
)


def framework_counts(
    m: MLP, n_in: int, n_out: int, dtype: str, nets: tuple[Any, Any] | None = None
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


def rung1(dtype: str) -> list[dict[str, Any]]:
    from impls.tf_impl import models as fm
    from impls.torch_impl import models as tm

    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    rows = []
    for case in exact_cases():
        n_in, n_out = case_dims(case)
        tn, fn = tm.build(case.model, n_in, n_out, dtype), fm.build(case.model, n_in, n_out, dtype)
        counts = framework_counts(case.model, n_in, n_out, dtype, (tn, fn))
        want = expected_counts(case.model, n_in, n_out)
        bad = sum(
            abs(counts[fw][k] - want[k]) for fw in ("torch", "tf") for k in ("trainable", "non_trainable")
        )
        rows.append(
            _row(1, case.name, "param counts: torch, tf vs closed form", dtype, bad, "count", COUNT_NOTE)
        )
        if case.name in golden:
            g = golden[case.name]
            bad = sum(
                abs(counts[fw][k] - g[k]) for fw in ("torch", "tf") for k in ("trainable", "non_trainable")
            )
            rows.append(_row(1, case.name, "param counts vs golden table", dtype, bad, "count"))
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
        rows.append(_row(1, case.name, "canonical names/shapes/dtypes mismatches", dtype, mism, "count"))
    return rows


# Rung 2 -------------------------------------------------------------------------------------------
def _to_canonical(value: np.ndarray, perm: tuple[int, ...] | None) -> np.ndarray:
    """A framework tensor (the canonical array transposed by `perm`, see `net.canonical()`) in the
    canonical layout, as `export_weights` does."""
    return value if perm is None else np.transpose(value, np.argsort(perm))


def _loss_and_grads_torch(net: Any, case: Case, x: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    import torch

    from impls.torch_impl import losses

    t = case.training
    net.train()
    loss = losses.head_loss(net(torch.from_numpy(x)), torch.from_numpy(y), case.model.head, t.loss_reduction)
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
        split = _split(case.data, dtype)
        x, y = split.x_train[:batch], split.y_train[:batch]
        n_in, n_out = x.shape[1], split.n_outputs
        w = _perturbed(init.initial_weights(case.model, n_in, n_out, SEED, dtype), dtype)
        tnet = _torch_net(case.model, n_in, n_out, dtype, w)
        fnet = _tf_net(case.model, n_in, n_out, dtype, tm.export_weights(tnet))  # torch -> tf
        back = fm.export_weights(fnet)
        rt = max(float(np.max(np.abs(back[k].astype(np.float64) - w[k]))) for k in w)
        rt += sum(1 for k in set(back) ^ set(w))
        rows.append(
            _row(
                2, case.name, "weights canonical -> torch -> tf -> canonical, max abs", dtype, rt, "roundtrip"
            )
        )

        tnet.eval()
        with torch.no_grad():
            out_t = tnet(torch.from_numpy(x)).numpy()
        out_f = fnet(x, training=False).numpy()
        rows.append(
            _row(2, case.name, "eval outputs, max|d|/max|torch|", dtype, _rel(out_t, out_f), "forward")
        )
        if case.model.dropout or case.model.input_dropout:
            continue  # train-mode loss/gradients depend on the masks: rung 4 covers dropout
        lt, gt = _loss_and_grads_torch(tnet, case, x, y)
        lf, gf = _loss_and_grads_tf(fnet, case, x, y)
        rows.append(_row(2, case.name, "train-mode loss, relative", dtype, abs(lt - lf) / abs(lt), "loss"))
        kernels = [k for k in gt if k.endswith("/kernel")]
        worst = max(kernels, key=lambda k: _nrel(gt[k], gf[k]))
        rows.append(
            _row(
                2,
                case.name,
                f"kernel grads, max_layer ||d||/||torch|| (worst {worst})",
                dtype,
                _nrel(gt[worst], gf[worst]),
                "grad_kernel",
            )
        )
        names = sorted(gt)
        flat_t = np.concatenate([gt[k].ravel() for k in names]) if set(gt) == set(gf) else np.ones(1)
        flat_f = np.concatenate([gf[k].ravel() for k in names]) if set(gt) == set(gf) else np.zeros(1)
        rows.append(
            _row(
                2, case.name, "all trainable grads, ||d||/||torch||", dtype, _nrel(flat_t, flat_f), "grad_all"
            )
        )
    return rows


# Rung 3 -------------------------------------------------------------------------------------------
TRAJ_DATA = Data("digits")


def trajectory(tc: TrajCase, dtype: str, steps: int) -> dict[str, Any]:
    """Run both engines `steps` updates on identical batches; returns losses and final weights."""
    import torch

    from impls.tf_impl import train as tf_train
    from impls.torch_impl import models as tm
    from impls.torch_impl import train as torch_train

    spec = TrialSpec(TRAJ_DATA, tc.model, tc.optimizer, replace(tc.training, dtype=dtype))
    split = _split(TRAJ_DATA, dtype)
    n_in, n_out = split.x_train.shape[1], split.n_outputs
    w0 = init.initial_weights(tc.model, n_in, n_out, SEED, dtype)
    torch.manual_seed(SEED)
    tnet = _torch_net(tc.model, n_in, n_out, dtype, w0)
    teng = torch_train.TorchEngine(spec, tnet)
    feng = tf_train.engine_for(spec, n_in, n_out)
    feng.reset(spec, tm.export_weights(tnet), SEED)  # torch -> tf
    bs = tc.training.batch_size
    per_epoch = len(split.x_train) // bs
    order = data.batches(len(split.x_train), bs, -(-steps // per_epoch), SEED, drop_last=True)
    idx = [b for epoch in order for b in epoch][:steps]
    lt = [teng.step(split.x_train[i], split.y_train[i]) for i in idx]
    lf = [feng.step(split.x_train[i], split.y_train[i]) for i in idx]
    return {"w0": w0, "torch": teng.export(), "tf": feng.export(), "loss_torch": lt, "loss_tf": lf, "n": bs}


def rung3(dtype: str, steps: int, cases: list[TrajCase] | None = None) -> list[dict[str, Any]]:
    rows = []
    for tc in trajectory_cases() if cases is None else cases:
        r = trajectory(tc, dtype, steps)
        wt, wf = r["torch"], r["tf"]
        stats = [k for k in wt if k.endswith(("/mean", "/var"))]
        params = [k for k in wt if k not in stats]
        dp = max(float(np.max(np.abs(wt[k].astype(np.float64) - wf[k]))) for k in params)
        rows.append(_row(3, tc.name, f"params after {steps} steps, max abs", dtype, dp, "traj_param"))
        lt, lf = np.array(r["loss_torch"]), np.array(r["loss_tf"])
        dl = float(np.max(np.abs(lt - lf) / np.maximum(np.abs(lt), 1.0)))
        rows.append(
            _row(
                3, tc.name, f"batch losses over {steps} steps, max |d|/max(1,|loss|)", dtype, dl, "traj_loss"
            )
        )
        if not stats:
            continue
        # BN running statistics. Both follow r_k = (1-m) r_{k-1} + m s_k from r_0 (mean 0, var 1);
        # torch's s_k is the unbiased batch variance, Keras' the biased one, so with a fixed batch
        # size n: torch_var - (1-m)^k v0 = n/(n-1) * (tf_var - (1-m)^k v0) exactly.
        n, m = r["n"], tc.model.bn_momentum
        decay = (1.0 - m) ** steps
        means = [k for k in stats if k.endswith("/mean")]
        dm = max(float(np.max(np.abs(wt[k].astype(np.float64) - wf[k]))) for k in means)
        rows.append(_row(3, tc.name, f"BN running mean after {steps} steps, max abs", dtype, dm, "bn_mean"))
        worst_corr, worst_gap = 0.0, 0.0
        for k in (k for k in stats if k.endswith("/var")):
            v0 = r["w0"][k].astype(np.float64)
            vt, vf = wt[k].astype(np.float64), wf[k].astype(np.float64)
            predicted = decay * v0 + n / (n - 1) * (vf - decay * v0)
            worst_corr = max(worst_corr, _rel(vt, predicted))
            gap_pred = (n / (n - 1) - 1.0) * (vf - decay * v0)
            worst_gap = max(worst_gap, _rel(gap_pred, vt - vf))
        note = f"intentional: torch running_var uses unbiased batch var, Keras biased (factor n/(n-1), n={n})"
        rows.append(
            _row(
                3,
                tc.name,
                "BN running var: torch vs tf corrected by n/(n-1), relative",
                dtype,
                worst_corr,
                "bn_var",
                note,
            )
        )
        rows.append(
            _row(
                3,
                tc.name,
                "BN running var gap torch-tf vs predicted gap, relative",
                dtype,
                worst_gap,
                "bn_gap",
                note,
            )
        )
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
    """All four rungs for one dtype; one row per (rung, case, quantity)."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype={dtype!r}, expected one of {DTYPES}")
    if family is not None and family not in FAMILIES:
        raise ValueError(f"family={family!r}, expected one of {FAMILIES}")
    if steps < 1:
        raise ValueError(f"steps={steps} must be >= 1")
    with one_thread():
        return rung1(dtype) + rung2(dtype) + rung3(dtype, steps) + rung4(dtype)


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
