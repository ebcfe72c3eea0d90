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
    # Scale features to [0, 1] by the training pool's global min and max (digits: x / 16); applied
    # instead of `standardize`. Autoencoders, RBMs and masking noise want pixels in [0, 1].
    unit_range: bool = False
    target: str = "label"  # "label": the dataset's y; "input": y = x (autoencoders, head "mse")


@dataclass(frozen=True)
class ModelSpec:
    """Base of every model family. A family is a frozen dataclass subclass with a `family` name;
    each framework builds it in `impls/<fw>_impl/models.py` (mlp) or `impls/<fw>_impl/<family>.py`,
    and `impls.init` makes its canonical initial weights. Models take flat inputs (batch, features)
    and reshape inside (images, sequences), so data, the loop and the engines stay family-free."""

    family: ClassVar[str] = ""
    head: str = field(default="softmax", kw_only=True)  # softmax | hinge | squared_hinge | mse


# Fields that only choose initial weights (drawn by `impls.init`, assigned by an engine's reset):
# no framework's model reads them, so they never shape a graph.
INIT_ONLY = (
    "init", "head_init", "bias_init", "highway_gate_bias", "kernel_init", "recurrent_init", "forget_bias",
    "norm_gamma",
)  # fmt: skip


def structure(m: ModelSpec) -> ModelSpec:
    """`m` with its `INIT_ONLY` fields at their defaults: two specs with one structure build the
    same graph, so a worker's cached TF engine (traced once, seconds for a deep net) serves both,
    e.g. the he_normal and glorot_uniform conditions of one claim."""
    defaults: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(m) if f.name in INIT_ONLY}
    return dataclasses.replace(m, **defaults)


@dataclass(frozen=True)
class MLP(ModelSpec):
    """Input -> `depth` hidden layers of `width` -> head.

    A hidden layer is Dense -> [norm] -> act -> [norm] -> [dropout], with the norm placed by
    `norm_position` ("before" or "after" the activation). With `residual`, hidden layers 2..depth
    add their input: h = h + layer(h) (the first layer changes the width, so it has no skip).
    With `highway` (Srivastava et al. 2015), hidden layers 2..depth mix their input and output
    through a transform gate T = sigmoid(h @ W_T + b_T), carry 1 - T: h = T * layer(h) + (1 - T) * h;
    W_T is drawn with `init`, b_T starts at `highway_gate_bias` (negative: the net starts near
    the identity). `dropout_kind` "alpha" is alpha-dropout (Klambauer et al. 2017) for SELU nets:
    dropped units are set to SELU's negative saturation, then an affine map restores mean 0 and
    variance 1; "standard" is inverted dropout.
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
    highway: bool = False
    highway_gate_bias: float = -2.0
    dropout_kind: str = "standard"  # standard | alpha (on the hidden layers' outputs)
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


# ---- CNN family (issue 7) -------------------------------------------------------------------
CNN_NORMS = ("none", "batch", "layer", "group", "instance")
WEIGHT_NORMS = ("none", "weight", "weight_fixed_g", "cosine")
POOLS = ("none", "max", "avg")


@dataclass(frozen=True)
class Conv:
    """One conv layer: `kernel` x `kernel`, `channels` out, `stride`, and `padding` zeros added on
    EVERY side before a 'valid' convolution (never 'same': at stride 2 TF's 'same' pads
    asymmetrically, torch symmetrically). `pool` (max|avg, window = stride = `pool_size`, 'valid')
    follows the activation (and the norm, when it is placed after the activation)."""

    channels: int
    kernel: int = 3
    stride: int = 1
    padding: int = 1
    pool: str = "none"
    pool_size: int = 2


@dataclass(frozen=True)
class CNN(ModelSpec):
    """Flat input (batch, H*W*C) -> image (H, W, C) -> conv layers -> [global average pool] ->
    flatten -> `dense` hidden layers -> head.

    Layout conventions (both impls): the flat input and every flatten are in (H, W, C) order (torch
    permutes NCHW -> NHWC before flattening); conv kernels are canonical (kh, kw, in, out) (Keras
    HWIO; torch's OIHW is a `perm` in `canonical()`).
    A hidden layer (conv or dense) is W*x + b -> [norm] -> act -> [norm] -> [pool] -> [dropout, dense
    only], the norm placed by `norm_position`. Norms on conv layers: batch (per channel over N,H,W),
    layer (over C,H,W, per-channel affine = group norm with 1 group, Wu & He 2018), group (`groups`),
    instance (per sample and channel over H,W); on dense hidden layers layer/group/instance fall
    back to layer norm over the features. BN momentum is the torch convention (module docstring).
    `weight_norm` re-parameterises every hidden layer's kernel (not the head's): "weight" is
    w = g * v / ||v|| per output unit (Salimans & Kingma 2016, g learned, init 1); "weight_fixed_g"
    the same with g fixed to 1; "cosine" replaces w.x by
    (w.x) / (sqrt(||w||^2 + eps) * sqrt(||x||^2 + eps)), x the receptive field (zero padding
    included), without bias (Luo et al. 2017); eps keeps the gradient finite where x = 0."""

    image: tuple[int, int, int] = (8, 8, 1)  # (H, W, C) of the flat input
    convs: tuple[Conv, ...] = (Conv(16, pool="max"), Conv(32, pool="max"))
    dense: tuple[int, ...] = ()
    global_pool: bool = False  # global average pooling over H, W before the flatten
    activation: str = "relu"
    init: Init = Init("he_normal")
    head_init: Init = Init("glorot_uniform")
    bias_init: float = 0.0
    norm: str = "none"
    norm_position: str = "before"
    groups: int = 4
    bn_momentum: float = 0.1
    norm_eps: float = 1e-5
    weight_norm: str = "none"
    cosine_eps: float = 1e-6
    dropout: float = 0.0  # on every dense hidden layer's output
    family: ClassVar[str] = "cnn"


def cnn_shapes(m: CNN) -> list[tuple[int, int, int]]:
    """(H, W, C) after every conv layer (after its pool), input first; pure arithmetic so the
    checker, `impls.init` and both impls agree on shapes."""
    h, w, c = m.image
    out = [(h, w, c)]
    for conv in m.convs:
        h = (h + 2 * conv.padding - conv.kernel) // conv.stride + 1
        w = (w + 2 * conv.padding - conv.kernel) // conv.stride + 1
        c = conv.channels
        if conv.pool != "none":
            h, w = h // conv.pool_size, w // conv.pool_size
        out.append((h, w, c))
    return out


def cnn_flat_features(m: CNN) -> int:
    h, w, c = cnn_shapes(m)[-1]
    return c if m.global_pool else h * w * c


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
class EarlyStopping:
    """Keras 3 `keras.callbacks.EarlyStopping` semantics (torch has no built-in early stopping), run
    by `impls.loop` for both frameworks: at each epoch end (from `start_from_epoch`, 0-based) the
    monitored eval metric counts as an improvement if it beats the best by more than `min_delta`
    (mode "min": current < best - min_delta); `wait` counts epochs since the last improvement and
    training stops once wait >= patience (never after the first epoch). With
    `restore_best_weights` the best epoch's weights are put back at the end of training, whether
    or not it stopped early (as Keras 3 does)."""

    monitor: str = "val/loss"
    mode: Literal["min", "max"] = "min"
    patience: int = 0
    min_delta: float = 0.0
    restore_best_weights: bool = True
    start_from_epoch: int = 0


@dataclass(frozen=True)
class Training:
    epochs: int = 1
    batch_size: int = 32
    max_steps: int | None = None  # stop after this many updates, whatever the epoch
    # records `train/steps_to_target`: the first evaluation step whose full training-set loss is
    # <= target_loss; a trial that never gets there records the steps it ran + 1 (never nan)
    target_loss: float | None = None
    eval_every: int = 0  # evaluate every N updates; 0 = at the end of every epoch
    dtype: str = "float32"
    l2: float = 0.0  # 0.5 * l2 * sum(kernel**2) added to the loss (kernels only, not biases)
    loss_reduction: Literal["mean", "sum"] = "mean"
    drop_last: bool = False
    # Canonical-name prefixes (e.g. "conv", "dense") whose parameters the optimiser does not update
    # (transfer learning with a frozen body). Only the optimiser skips them: BN running statistics
    # of a frozen layer still follow the batches in train mode, in both frameworks.
    frozen: tuple[str, ...] = ()
    diverge_above: float = 1e6  # a loss above this (or non-finite) marks the trial diverged
    early_stopping: EarlyStopping | None = None  # needs per-epoch evaluation (eval_every=0)
    # Max-norm constraint (Srivastava et al. 2014, sec. 5.1): after every update each hidden unit's
    # incoming weight vector (a column of the canonical (in, out) kernel) is scaled back to norm
    # `max_norm` if it is longer (torch.renorm's formula, see impls/*_impl). 0 = off. Hidden
    # kernels only, not the head.
    max_norm: float = 0.0
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
    # per-layer variance of the back-propagated gradient dL/dh w.r.t. each hidden layer's
    # post-activation output h (Glorot & Bengio 2010's "back-propagated gradients"), train mode
    act_grad_var_at: tuple[int, ...] = ()
    probe_batch: int = 256  # examples (from the training pool) used by the probes
    weight_norms: bool = False  # per hidden layer: max and mean L2 norm of a unit's incoming weights
    # Curve summaries (need per-epoch evaluation, eval_every=0): `curve_at` epochs (1-based) record
    # `{part}/{loss,accuracy}@epoch{k}`; `curve_stats` records late-training summaries of the
    # train/val curves (see impls.loop.curve_summaries).
    curve_at: tuple[int, ...] = ()
    curve_stats: bool = False


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


# --- Autoencoders (dense, convolutional, variational) ------------------------------------------


@dataclass(frozen=True)
class Autoencoder(ModelSpec):
    """x (batch, n_in) -> reconstruction (batch, n_in); trained with head "mse" on Data(target="input").

    Encoder: [pad `padding` -> conv k x k, stride 2 -> act] per `conv_channels` (images (h, w, c) of
    `image`, flattened (h, w, c) order in both frameworks) -> flatten -> [dense -> act] per `widths`
    -> code layer (dense -> `code_activation`; with `variational`, two dense layers mu and logvar).
    Decoder mirrors it: [dense -> act] per reversed `widths` -> dense to the conv feature map (or to
    n_in -> `out_activation` when there is no conv) -> [nearest upsample x2 -> pad -> conv k x k,
    stride 1 -> act] per reversed `conv_channels`, the last conv giving c channels and `out_activation`.

    `tied`: (dense only) each decoder kernel is the transpose of its mirror encoder kernel.
    `mask_noise`: in training, each input feature is set to 0 with this probability (Vincent et al.
    2008 masking noise; no rescaling), drawn by the framework's RNG seeded from the trial seed.
    `variational` (Kingma & Welling 2014): z = mu + exp(logvar / 2) * eps with eps ~ N(0, I) in
    training, z = mu in evaluation; the Gaussian decoder has fixed variance `decoder_var`, so the
    negative ELBO per example is D/(2 var) * mse + KL + const, and the net adds
    (2 var / D) * KL to the "mse" head loss (the same objective divided by D / (2 var)).
    """

    widths: tuple[int, ...] = (64,)
    code: int = 8
    activation: str = "relu"
    code_activation: str = "linear"
    out_activation: str = "linear"
    init: Init = Init("glorot_uniform")
    bias_init: float = 0.0
    tied: bool = False
    conv_channels: tuple[int, ...] = ()
    image: tuple[int, int, int] = (8, 8, 1)  # (h, w, c) of the flat input, for the conv layers
    kernel_size: int = 3
    padding: int = 1  # explicit zero padding on every side, both frameworks
    mask_noise: float = 0.0
    variational: bool = False
    decoder_var: float = 1.0
    head: str = field(default="mse", kw_only=True)
    family: ClassVar[str] = "autoencoder"


def _check_autoencoder(m: Autoencoder) -> list[tuple[bool, str]]:
    h, w, _ = m.image
    shrink = 2 ** len(m.conv_channels)
    return [
        (m.head == "mse", f"model.head={m.head!r}, an autoencoder is trained with 'mse'"),
        (
            all(a in ACTIVATIONS for a in (m.activation, m.code_activation, m.out_activation)),
            f"model activations must be in {ACTIVATIONS}",
        ),
        (m.init.name in INITIALISERS, f"model.init={m.init.name!r}, expected one of {INITIALISERS}"),
        (m.code >= 1 and all(v >= 1 for v in m.widths + m.conv_channels), "model widths/code must be >= 1"),
        (not (m.tied and (m.conv_channels or m.variational)), "model.tied is for dense, non-variational AEs"),
        (not m.conv_channels or (h % shrink == 0 and w % shrink == 0), f"model.image {m.image} vs strides"),
        (2 * m.padding == m.kernel_size - 1, "model.padding must be (kernel_size - 1) / 2"),
        (0.0 <= m.mask_noise < 1.0, "model.mask_noise must be in [0, 1)"),
        (m.decoder_var > 0, "model.decoder_var must be > 0"),
    ]


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
        (m.dropout_kind in ("standard", "alpha"), f"model.dropout_kind={m.dropout_kind!r}"),
        (not (m.residual and m.highway), "model: residual and highway are exclusive"),
    ]


def _check_cnn(m: CNN) -> list[tuple[bool, str]]:
    shapes = cnn_shapes(m)
    group_ok = all(c.channels % m.groups == 0 for c in m.convs) if m.norm == "group" else True
    return [
        (m.activation in ACTIVATIONS, f"model.activation={m.activation!r}, expected one of {ACTIVATIONS}"),
        (m.init.name in INITIALISERS, f"model.init={m.init.name!r}, expected one of {INITIALISERS}"),
        (m.head_init.name in INITIALISERS, f"model.head_init={m.head_init.name!r}"),
        (m.head in HEADS, f"model.head={m.head!r}, expected one of {HEADS}"),
        (m.norm in CNN_NORMS, f"model.norm={m.norm!r}, expected one of {CNN_NORMS}"),
        (m.norm_position in ("before", "after"), f"model.norm_position={m.norm_position!r}"),
        (
            m.weight_norm in WEIGHT_NORMS,
            f"model.weight_norm={m.weight_norm!r}, expected one of {WEIGHT_NORMS}",
        ),
        (all(c.pool in POOLS for c in m.convs), f"model.convs pool must be one of {POOLS}"),
        (all(min(s) >= 1 for s in shapes), f"model.convs shrink the image {m.image} to nothing: {shapes}"),
        (group_ok, f"model.groups={m.groups} must divide every conv's channels"),
        (0.0 <= m.dropout < 1.0, "model dropout must be in [0, 1)"),
    ]


# family name -> checks of its fields; a family added to the spec adds its checker here.
FAMILY_CHECKS: dict[str, Any] = {
    "mlp": _check_mlp,
    "autoencoder": _check_autoencoder,
    "cnn": _check_cnn,
    "rnn": _check_rnn,
}


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
        (t.max_norm >= 0, f"training.max_norm={t.max_norm} must be >= 0 (0 = off)"),
        (
            t.early_stopping is None or t.eval_every == 0,
            "training.early_stopping needs per-epoch evaluation (training.eval_every=0)",
        ),
        (
            (not spec.probes.curve_at and not spec.probes.curve_stats) or t.eval_every == 0,
            "probes.curve_at/curve_stats need per-epoch evaluation (training.eval_every=0)",
        ),
        (spec.data.target in ("label", "input"), f"data.target={spec.data.target!r}"),
        (spec.data.target != "input" or m.head == "mse", "data.target='input' needs head 'mse'"),
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
