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
OPTIMISERS = ("sgd", "momentum", "nesterov", "adam")


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


# ---------------------------------------------------------------------------------------------
# Sequence family "rnn" (impls/torch_impl/rnn.py, impls/tf_impl/rnn.py; weights in impls.init)
# ---------------------------------------------------------------------------------------------
CELLS = ("rnn", "lstm", "gru")
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


@dataclass(frozen=True)
class RNN(ModelSpec):
    """Flat input (batch, T * features) -> (batch, T, features) -> `layers` recurrent layers of
    `hidden` units -> Dense head on the top layer's last state (many-to-one).

    Both frameworks run the same hand-written cells (no fused kernels), one time step at a time.
    Per layer, with x_t the layer input, h the previous state, d_x / d_h the dropout masks:
      wx = (d_x * x_t) @ W ;  wh = (d_h * h) @ U          W: (in, G*H), U: (H, G*H), one bias b
      norm "layer"/"batch": wx, wh -> N(wx) * gx, N(wh) * gh (Ba et al. 2016; Cooijmans et al. 2016;
      their betas are left out, `b` plays that role), and for the LSTM c -> N(c) * gc + bc.
      rnn : h = tanh(wx + wh + b)
      lstm: i, f, g, o = split(wx + wh + b);  c = s(f) c + s(i) tanh(g);  h = s(o) tanh(N(c))
      gru : r, z, n = split;  r = s(wx_r + wh_r + b_r);  z = s(wx_z + wh_z + b_z);
            n = tanh(wx_n + b_n + r * (wh_n + b_hn));  h = (1 - z) n + z h
    Gate order: LSTM (i, f, g, o) = torch's order = Keras' (i, f, c, o). GRU (r, z, n) is torch's
    order and its "reset after" form (Keras `reset_after=True`); the only second bias is b_hn
    (`recurrent_bias`), which that form needs; torch's other b_hh are redundant and not trained.
    Batch norm keeps separate running statistics per time step (Cooijmans et al. 2016), gammas
    shared over time; layer norm normalises each example over the G*H (or H for c) units.
    Dropout (inverted) follows Gal & Ghahramani 2016 and Keras' LSTM/GRU semantics: one mask per
    sequence, the same at every time step and for every gate; `input_dropout` masks x_t, and
    `recurrent_dropout` masks h in the recurrent product only. `output_dropout` is a plain Dropout
    layer on the last state before the head (a "separate Dropout layer")."""

    cell: str = "lstm"
    features: int = 1  # per time step; T = n_in // features
    hidden: int = 32
    layers: int = 1
    kernel_init: Init = Init("glorot_uniform")  # drawn per gate block (in, H)
    recurrent_init: Init = Init("orthogonal")  # drawn per gate block (H, H)
    head_init: Init = Init("glorot_uniform")
    bias_init: float = 0.0
    forget_bias: float = 1.0  # LSTM forget-gate bias (Gers et al. 2000; Jozefowicz et al. 2015)
    norm: str = "none"  # none | layer | batch (per-time-step statistics); rnn and lstm cells only
    norm_gamma: float = 1.0  # initial gamma (Cooijmans et al. 2016 recommend 0.1 for BN)
    norm_eps: float = 1e-5
    bn_momentum: float = 0.1  # torch convention, see the module docstring
    input_dropout: float = 0.0
    recurrent_dropout: float = 0.0
    output_dropout: float = 0.0
    family: ClassVar[str] = "rnn"


def _check_rnn(m: RNN) -> list[tuple[bool, str]]:
    drops = (m.input_dropout, m.recurrent_dropout, m.output_dropout)
    return [
        (m.cell in CELLS, f"model.cell={m.cell!r}, expected one of {CELLS}"),
        (m.features >= 1 and m.hidden >= 1 and m.layers >= 1, "model features, hidden, layers must be >= 1"),
        (m.kernel_init.name in INITIALISERS, f"model.kernel_init={m.kernel_init.name!r}"),
        (m.recurrent_init.name in INITIALISERS, f"model.recurrent_init={m.recurrent_init.name!r}"),
        (m.head_init.name in INITIALISERS, f"model.head_init={m.head_init.name!r}"),
        (m.head in HEADS, f"model.head={m.head!r}, expected one of {HEADS}"),
        (m.norm in NORMS, f"model.norm={m.norm!r}, expected one of {NORMS}"),
        (m.norm == "none" or m.cell != "gru", "model.norm is implemented for the rnn and lstm cells"),
        (all(0.0 <= p < 1.0 for p in drops), "model dropouts must be in [0, 1)"),
    ]


Model = ModelSpec


@dataclass(frozen=True)
class Optimizer:
    """Every hyper-parameter explicit. `momentum` is torch's (heavy-ball, dampening 0), which equals
    Keras' SGD momentum for a constant learning rate. Adam: epsilon is added to sqrt(v_hat) after
    bias correction (the paper's and torch's placement); the TF impl implements that placement."""

    name: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.0
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8


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
FAMILY_CHECKS: dict[str, Any] = {"mlp": _check_mlp, "rnn": _check_rnn}


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
    ]
    for ok, msg in checks:
        if not ok:
            raise ValueError(msg)
