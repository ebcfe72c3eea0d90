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
(`runners/crosscheck_tolerances.py`). Rung 4 lives in `runners/crosscheck_train_eval.py`, the
helpers the rungs share in `runners/crosscheck_common.py`. Framework imports happen inside
functions, so importing this module costs nothing.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from impls import data, init
from impls.spec import CNN, MLP, RNN, ModelSpec, TrialSpec, cnn_shapes
from runners.crosscheck_cases import FAMILIES, Case, TrajCase, exact_cases, trajectory_cases
from runners.crosscheck_common import (
    DTYPES,
    SEED,
    load_split,
    nrel,
    one_thread,
    perturbed,
    rel,
    row,
    tf_net,
    torch_net,
)
from runners.crosscheck_train_eval import rung4

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "parity" / "golden_param_counts.json"


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
    split = load_split(case.data, "float64")
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
            row(1, case.name, f"param counts: torch, tf vs {ref}", dtype, bad, "count", COUNT_NOTE, fam)
        )
        if case.name in golden:
            g = golden[case.name]
            bad = sum(
                abs(counts[fw][k] - g[k]) for fw in ("torch", "tf") for k in ("trainable", "non_trainable")
            )
            rows.append(row(1, case.name, "param counts vs golden table", dtype, bad, "count", family=fam))
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
        rows.append(row(1, case.name, quantity, dtype, mism, "count", family=fam))
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
        split = load_split(case.data, dtype)
        x, y = split.x_train[:batch], split.y_train[:batch]
        n_in, n_out = x.shape[1], split.n_outputs
        w = perturbed(init.initial_weights(case.model, n_in, n_out, SEED, dtype), dtype)
        tnet = torch_net(case.model, n_in, n_out, dtype, w)
        fnet = tf_net(case.model, n_in, n_out, dtype, tm.export_weights(tnet))  # torch -> tf
        back = fm.export_weights(fnet)
        rt = max(float(np.max(np.abs(back[k].astype(np.float64) - w[k]))) for k in w)
        rt += sum(1 for k in set(back) ^ set(w))
        quantity = "weights canonical -> torch -> tf -> canonical, max abs"
        rows.append(row(2, case.name, quantity, dtype, rt, "roundtrip", family=fam))

        tnet.eval()
        with torch.no_grad():
            out_t = tnet(torch.from_numpy(x)).numpy()
        out_f = fnet(x, training=False).numpy()
        quantity = "eval outputs, max|d|/max|torch|"
        rows.append(row(2, case.name, quantity, dtype, rel(out_t, out_f), "forward", family=fam))
        if _stochastic(case.model):
            continue  # train-mode loss/gradients depend on the masks: rung 4 covers dropout
        note = _fixed_noise(case.model, (tnet, fnet), len(x), dtype)
        lt, gt = _loss_and_grads_torch(tnet, case, x, y)
        lf, gf = _loss_and_grads_tf(fnet, case, x, y)
        rel_loss = abs(lt - lf) / abs(lt)
        rows.append(row(2, case.name, "train-mode loss, relative", dtype, rel_loss, "loss", note, fam))
        worst = max((k for k in gt if _is_kernel(k)), key=lambda k: nrel(gt[k], gf.get(k, 0 * gt[k])))
        quantity = f"kernel grads, max_layer ||d||/||torch|| (worst {worst})"
        measured = nrel(gt[worst], gf.get(worst, 0 * gt[worst]))
        rows.append(row(2, case.name, quantity, dtype, measured, "grad_kernel", note, fam))
        names = sorted(gt)
        flat_t = np.concatenate([gt[k].ravel() for k in names]) if set(gt) == set(gf) else np.ones(1)
        flat_f = np.concatenate([gf[k].ravel() for k in names]) if set(gt) == set(gf) else np.zeros(1)
        quantity = "all trainable grads, ||d||/||torch||"
        rows.append(row(2, case.name, quantity, dtype, nrel(flat_t, flat_f), "grad_all", note, fam))
    return rows


# Rung 3 -------------------------------------------------------------------------------------------
def trajectory(tc: TrajCase, dtype: str, steps: int) -> dict[str, Any]:
    """Run both engines `steps` updates on identical batches; returns losses and final weights."""
    import torch

    from impls.tf_impl import train as tf_train
    from impls.torch_impl import models as tm
    from impls.torch_impl import train as torch_train

    spec = TrialSpec(tc.data, tc.model, tc.optimizer, replace(tc.training, dtype=dtype))
    split = load_split(tc.data, dtype)
    n_in, n_out = split.x_train.shape[1], split.n_outputs
    w0 = init.initial_weights(tc.model, n_in, n_out, SEED, dtype)
    torch.manual_seed(SEED)
    tnet = torch_net(tc.model, n_in, n_out, dtype, w0)
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
        rows.append(row(3, tc.name, quantity, dtype, dp, "traj_param", r["note"], fam))
        lt, lf = np.array(r["loss_torch"]), np.array(r["loss_tf"])
        dl = float(np.max(np.abs(lt - lf) / np.maximum(np.abs(lt), 1.0)))
        quantity = f"batch losses over {steps} steps, max |d|/max(1,|loss|)"
        rows.append(row(3, tc.name, quantity, dtype, dl, "traj_loss", r["note"], fam))
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
        rows.append(row(3, tc.name, quantity, dtype, dm, "bn_mean", family=fam))
        worst_corr, worst_gap, factors = 0.0, 0.0, set()
        for k in (k for k in stats if k.endswith("var")):
            f = bn_var_factor(tc.model, k, n)
            factors.add(round(f, 6))
            v0 = r["w0"][k].astype(np.float64)
            vt, vf = wt[k].astype(np.float64), wf[k].astype(np.float64)
            predicted = decay * v0 + f * (vf - decay * v0)
            worst_corr = max(worst_corr, rel(vt, predicted))
            if f != 1.0:
                gap_pred = (f - 1.0) * (vf - decay * v0)
                worst_gap = max(worst_gap, rel(gap_pred, vt - vf))
        if factors == {1.0}:
            note = "recurrent BN: unbiased batch variance in both frameworks (no correction)"
            quantity = "BN running var: torch vs tf, relative"
            rows.append(row(3, tc.name, quantity, dtype, worst_corr, "bn_var_rnn", note, fam))
            continue
        per = "n = batch*H*W per conv channel, batch for dense" if isinstance(tc.model, CNN) else f"n={n}"
        note = f"intentional: torch running_var uses unbiased batch var, Keras biased (factor n/(n-1), {per})"
        quantity = "BN running var: torch vs tf corrected by n/(n-1), relative"
        rows.append(row(3, tc.name, quantity, dtype, worst_corr, "bn_var", note, fam))
        quantity = "BN running var gap torch-tf vs predicted gap, relative"
        key = "bn_gap_conv" if isinstance(tc.model, CNN) else "bn_gap"
        rows.append(row(3, tc.name, quantity, dtype, worst_gap, key, note, fam))
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
