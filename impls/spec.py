"""The framework-free description of one trial.

Everything a claim can ask for is a frozen dataclass here. `impls/torch_impl` and `impls/tf_impl`
read these and nothing else, so a value that is not in the spec cannot differ between frameworks
by accident. Nothing relies on a framework default: initialisers, BN momentum, epsilons, the loss
reduction are all fields.

Conventions (both frameworks are mapped to them, see the impls):
- BN momentum is the torch convention: running = (1 - m) * running + m * batch_stat
  (Keras' `momentum` is 1 - m). Running variance is the unbiased batch variance, as in torch.
- Dense kernels are stored (in, out) in `impls.init` (torch's weight is its transpose).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh", "selu", "elu", "mish", "swish", "leaky_relu")
INITIALISERS = (
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "normal",
    "uniform",
    "orthogonal",
    "zeros",
)
HEADS = ("softmax", "hinge", "squared_hinge", "mse")
NORMS = ("none", "batch", "layer")
OPTIMISERS = ("sgd", "momentum", "nesterov", "adam", "adagrad", "adadelta", "rmsprop", "adam_nobc", "adamod")
SCHEDULES = ("constant", "step", "cosine")


@dataclass(frozen=True)
class Init:
    """An initialiser, always explicit. `scale` is the std of `normal`, the limit of `uniform`,
    the gain of `orthogonal`, and a multiplier of the variance-scaling ones. Normals are not
    truncated (He et al. 2015 and Glorot & Bengio 2010 use plain Gaussians / uniforms)."""

    name: str = "glorot_uniform"
    scale: float = 1.0


@dataclass(frozen=True)
class Data:
    """A dataset from `impls.data`'s registry. The test split is fixed (split seed 0) so every
    trial is scored on the same examples; the training subset and its order follow the trial seed."""

    name: str = "digits"
    n_train: int | None = None  # subsample the training pool (None = all of it)
    val_fraction: float = 0.0  # of the training pool, taken before subsampling
    test_fraction: float = 0.2
    params: tuple[tuple[str, Any], ...] = ()  # dataset-specific knobs, as sorted pairs
    standardize: bool = True  # z-score features with training-pool statistics


@dataclass(frozen=True)
class ModelSpec:
    """Base of every model family. A family is a frozen dataclass subclass with a `family` name;
    each framework builds it in `impls/<fw>_impl/models.py` (mlp) or `impls/<fw>_impl/<family>.py`,
    and `impls.init` makes its canonical initial weights. Models take flat inputs (batch, features)
    and reshape inside (images, sequences), so data, the loop and the engines stay family-free."""

    family: ClassVar[str] = ""
    head: str = field(default="softmax", kw_only=True)  # softmax | hinge | squared_hinge | mse


@dataclass(frozen=True)
class MLP(ModelSpec):
    """Input -> `depth` hidden layers of `width` -> head.

    A hidden layer is Dense -> [norm] -> act -> [norm] -> [dropout], with the norm placed by
    `norm_position` ("before" or "after" the activation). With `residual`, hidden layers 2..depth
    add their input: h = h + layer(h) (the first layer changes the width, so it has no skip).
    """

    depth: int = 2
    width: int = 64
    activation: str = "relu"
    init: Init = Init("glorot_uniform")
    head_init: Init = Init("glorot_uniform")
    bias_init: float = 0.0
    dropout: float = 0.0  # on every hidden layer's output
    input_dropout: float = 0.0  # on the input features ("visible" dropout)
    norm: str = "none"
    norm_position: str = "before"
    bn_momentum: float = 0.1  # torch convention, see the module docstring
    norm_eps: float = 1e-5
    residual: bool = False
    family: ClassVar[str] = "mlp"


Model = ModelSpec


@dataclass(frozen=True)
class Optimizer:
    """Every hyper-parameter explicit; each update is the published one, written out here so both
    impls can be checked against it (g: gradient, t: update count from 1, all ops elementwise).

    sgd        w -= lr*g
    momentum   b = momentum*b + g; w -= lr*b   (torch's heavy ball, dampening 0; equals Keras' SGD
               momentum for a constant lr)
    nesterov   b = momentum*b + g; w -= lr*(g + momentum*b)   (torch / Sutskever et al. 2013 form)
    adagrad    G += g^2 (G starts at initial_accumulator); w -= lr*g/(sqrt(G) + eps)   (Duchi et al.
               2011; eps outside the root as in torch; Keras puts it inside: sqrt(G + eps))
    adadelta   v = rho*v + (1-rho)*g^2; d = sqrt(u + eps)/sqrt(v + eps)*g; u = rho*u + (1-rho)*d^2;
               w -= lr*d   (Zeiler 2012 with lr = 1.0 as in the paper; eps inside both roots)
    rmsprop    v = rho*v + (1-rho)*g^2; w -= lr*g/(sqrt(v) + eps)   (Tieleman & Hinton 2012,
               uncentred; eps outside the root as in torch; Keras puts it inside)
    adam       m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; w -= lr*m_hat/(sqrt(v_hat) + eps),
               m_hat = m/(1-b1^t), v_hat = v/(1-b2^t)   (Kingma & Ba 2015, Alg. 1; Keras differs)
    adam_nobc  the same without bias correction: w -= lr*m/(sqrt(v) + eps)
    adamod     Adam's m_hat, v_hat; n = lr/(sqrt(v_hat) + eps); s = b3*s + (1-b3)*n (s starts at 0);
               w -= min(n, s)*m_hat   (Ding et al. 2019, Algorithm 1)

    `backstitch` = alpha > 0 (sgd only): per mini-batch, w += alpha*lr*g(w), then
    w -= (1+alpha)*lr*g(w') with the gradient recomputed on the same batch (Wang et al. 2017);
    two forward/backward passes per batch, each with its own dropout mask.

    `defaults="framework"` is for claims about the frameworks' out-of-the-box settings: every
    hyper-parameter above is ignored and the framework's own optimiser is built with its own
    defaults (torch.optim.X() / keras.optimizers.X()); the two then legitimately differ."""

    name: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.0
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    rho: float = 0.9  # rmsprop / adadelta decay of the running averages
    beta3: float = 0.999  # adamod's memory of the step sizes
    initial_accumulator: float = 0.0  # adagrad
    backstitch: float = 0.0  # alpha; 0 = off
    defaults: Literal["explicit", "framework"] = "explicit"


@dataclass(frozen=True)
class Plateau:
    """Reduce the lr when `monitor` (evaluated at the end of every epoch; lower is better) stops
    improving, by the frameworks' own code (torch.optim.lr_scheduler.ReduceLROnPlateau,
    keras.callbacks.ReduceLROnPlateau). Semantics in torch's convention: an evaluation improves if
    value < best - threshold (absolute threshold: Keras' min_delta; torch threshold_mode="abs");
    after more than `patience` non-improving evaluations lr = max(lr*factor, min_lr) (Keras
    reduces after `patience` of them, so it is given patience + 1); then `cooldown` evaluations
    are ignored."""

    monitor: str = "val/loss"
    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    cooldown: int = 0
    min_lr: float = 0.0


@dataclass(frozen=True)
class Tuning:
    """Equal tuning budget per arm, inside one trial: train once per lr in `lrs` with a tuning
    seed derived from (and distinct from) the evaluation seed, pick the lr with the lowest
    `metric` (a loss or error on the validation split; a diverged run counts as +inf), then train
    the evaluation run with it. Records `tune/lr`."""

    lrs: tuple[float, ...] = ()
    metric: str = "val/loss"


@dataclass(frozen=True)
class Training:
    epochs: int = 1
    batch_size: int = 32
    max_steps: int | None = None  # stop after this many updates, whatever the epoch
    eval_every: int = 0  # evaluate every N updates; 0 = at the end of every epoch
    dtype: str = "float32"
    l2: float = 0.0  # 0.5 * l2 * sum(kernel**2) added to the loss (kernels only, not biases)
    loss_reduction: Literal["mean", "sum"] = "mean"
    drop_last: bool = False
    diverge_above: float = 1e6  # a loss above this (or non-finite) marks the trial diverged
    # lr schedule, set by the shared loop before every update: step = lr * step_gamma **
    # (epoch // step_every); cosine = min_lr + (lr - min_lr) * (1 + cos(pi * update / total)) / 2
    schedule: str = "constant"
    step_every: int = 1
    step_gamma: float = 0.1
    min_lr: float = 0.0
    plateau: Plateau | None = None
    tuning: Tuning | None = None
    # ("train/loss", 0.1): records target/steps, target/epochs, target/reached and target/step_s
    # (update time only) at the first evaluation where the metric is <= the value
    target: tuple[str, float] | None = None
    report_epochs: tuple[int, ...] = ()  # record every eval metric as "{metric}@epoch{e}"


@dataclass(frozen=True)
class Probes:
    """Measurements taken during training, at update counts (0 = at init, before any update;
    -1 = after the last update, recorded as `@end`)."""

    grad_norms_at: tuple[int, ...] = ()  # per-layer L2 norm of dL/dW on a fixed probe batch
    activation_stats_at: tuple[int, ...] = ()  # per-layer mean, std, fraction of exact zeros
    weight_change: bool = False  # per-layer ||W_end - W_0|| / ||W_0||
    probe_batch: int = 256  # examples (from the training pool) used by the probes


@dataclass(frozen=True)
class TrialSpec:
    """One trial. `experiment` "train" runs the shared loop (`impls.loop`); any other name runs
    `impls/<fw>_impl/experiments/<name>.py: run(spec, seed) -> result` in both frameworks, for
    measurements the loop does not make (timing, memory, framework behaviour). `params` are that
    experiment's knobs as sorted (name, value) pairs."""

    data: Data
    model: Model
    optimizer: Optimizer = Optimizer()
    training: Training = Training()
    probes: Probes = Probes()
    experiment: str = "train"
    params: tuple[tuple[str, Any], ...] = ()


def to_dict(obj: Any) -> Any:
    """A canonical, JSON-ready view of a spec (dataclasses become dicts, tuples lists)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        if isinstance(obj, ModelSpec):
            out["family"] = obj.family
        return out
    if isinstance(obj, tuple | list):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_dict(v) for k, v in sorted(obj.items())}
    return obj


def canonical_json(obj: Any) -> str:
    return json.dumps(to_dict(obj), sort_keys=True, separators=(",", ":"))


def _check_mlp(m: MLP) -> list[tuple[bool, str]]:
    return [
        (m.activation in ACTIVATIONS, f"model.activation={m.activation!r}, expected one of {ACTIVATIONS}"),
        (m.init.name in INITIALISERS, f"model.init={m.init.name!r}, expected one of {INITIALISERS}"),
        (m.head_init.name in INITIALISERS, f"model.head_init={m.head_init.name!r}"),
        (m.head in HEADS, f"model.head={m.head!r}, expected one of {HEADS}"),
        (m.norm in NORMS, f"model.norm={m.norm!r}, expected one of {NORMS}"),
        (m.norm_position in ("before", "after"), f"model.norm_position={m.norm_position!r}"),
        (m.depth >= 0 and m.width >= 1, f"model depth={m.depth} width={m.width}"),
        (0.0 <= m.dropout < 1.0 and 0.0 <= m.input_dropout < 1.0, "model dropout must be in [0, 1)"),
    ]


# family name -> checks of its fields; a family added to the spec adds its checker here.
FAMILY_CHECKS: dict[str, Any] = {"mlp": _check_mlp}


def validate(spec: TrialSpec) -> None:
    """Raise ValueError naming the field for values the impls cannot honour."""
    m, o, t = spec.model, spec.optimizer, spec.training
    family = getattr(m, "family", None)
    if family not in FAMILY_CHECKS:
        raise ValueError(f"model family {family!r} is unknown; known: {sorted(FAMILY_CHECKS)}")
    checks: list[tuple[bool, str]] = [
        *FAMILY_CHECKS[family](m),
        (o.name in OPTIMISERS, f"optimizer.name={o.name!r}, expected one of {OPTIMISERS}"),
        (o.lr > 0, f"optimizer.lr={o.lr} must be > 0"),
        (t.dtype in ("float32", "float64"), f"training.dtype={t.dtype!r}"),
        (t.batch_size >= 1 and t.epochs >= 1, "training batch_size and epochs must be >= 1"),
        (t.schedule in SCHEDULES, f"training.schedule={t.schedule!r}, expected one of {SCHEDULES}"),
        (t.plateau is None or t.schedule == "constant", "training.plateau needs schedule='constant'"),
        (t.plateau is None or t.eval_every == 0, "training.plateau monitors per-epoch evaluations"),
        (o.backstitch == 0.0 or o.name == "sgd", "optimizer.backstitch is defined for sgd only"),
        (t.tuning is None or len(t.tuning.lrs) > 0, "training.tuning.lrs is empty"),
        (t.tuning is None or spec.data.val_fraction > 0, "training.tuning needs data.val_fraction > 0"),
    ]
    for ok, msg in checks:
        if not ok:
            raise ValueError(msg)
