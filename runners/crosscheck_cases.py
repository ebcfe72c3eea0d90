"""The cases of the cross-framework ladder (`runners.crosscheck`), one list per model family.

The CNN, RNN and autoencoder cases are the ones the family parity tests use
(`tests/parity/test_cnn_family.py`, `test_rnn.py`, `test_autoencoders.py`, `test_batch6.py`); those
tests import them from here, so the ladder and the tests exercise the same models.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from impls.spec import (
    ACTIVATIONS,
    CNN,
    MLP,
    RNN,
    Autoencoder,
    Conv,
    Data,
    Init,
    ModelSpec,
    Optimizer,
    Training,
)

FAMILIES = ("mlp", "cnn", "rnn", "autoencoder")


@dataclass(frozen=True)
class Case:
    name: str
    model: ModelSpec
    training: Training = field(default_factory=Training)
    data: Data = field(default_factory=lambda: Data("digits"))

    @property
    def family(self) -> str:
        return self.model.family


@dataclass(frozen=True)
class TrajCase:
    name: str
    model: ModelSpec
    optimizer: Optimizer
    training: Training = field(default_factory=lambda: Training(batch_size=32, drop_last=True))
    data: Data = field(default_factory=lambda: Data("digits"))

    @property
    def family(self) -> str:
        return self.model.family


# MLP ----------------------------------------------------------------------------------------------
BASE = MLP(depth=3, width=32, activation="relu", init=Init("glorot_uniform"), bias_init=0.05)
TEACHER = Data("teacher_student", params=(("n", 512), ("outputs", 3)))
# test_batch6: highway gates on layers 1..3 (layer 0 changes the width), gate bias -1.5
HIGHWAY = MLP(
    depth=4, width=8, activation="tanh", init=Init("he_normal"), highway=True, highway_gate_bias=-1.5
)
ALPHA_DROPOUT = MLP(
    depth=3, width=64, activation="selu", init=Init("lecun_normal"), dropout=0.2, dropout_kind="alpha"
)


def mlp_cases() -> list[Case]:
    """Every MLP variant the spec expresses (dropout cases are checked in eval mode only)."""
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
        Case("tanh/depth4/highway", HIGHWAY),
        Case("selu/depth3/alpha-dropout", ALPHA_DROPOUT),
    ]
    return cases


# CNN (test_cnn_family) ----------------------------------------------------------------------------
SMALL = (Conv(4, pool="max"), Conv(8, pool="avg"))
CNN_CASES: dict[str, CNN] = {
    "plain": CNN(convs=SMALL),
    "bn-before": CNN(convs=SMALL, norm="batch", dense=(12,)),
    "bn-after-tanh": CNN(convs=SMALL, norm="batch", norm_position="after", activation="tanh"),
    "layer": CNN(convs=SMALL, norm="layer", dense=(12,)),
    "group": CNN(convs=SMALL, norm="group", groups=2),
    "instance": CNN(convs=SMALL, norm="instance"),
    "weightnorm": CNN(convs=SMALL, weight_norm="weight", dense=(12,), norm="batch"),
    "weightnorm-fixed-g": CNN(convs=SMALL, weight_norm="weight_fixed_g"),
    "cosine": CNN(convs=SMALL, weight_norm="cosine", dense=(12,)),
    "stride2-pad1-gap": CNN(
        convs=(Conv(6, kernel=3, stride=2, padding=1), Conv(5, kernel=2, stride=2, padding=0)),
        global_pool=True,
    ),
    "kernel5-pad2-max3": CNN(convs=(Conv(3, kernel=5, padding=2, pool="max", pool_size=3),)),
    "dense-only": CNN(convs=(), dense=(16, 8), norm="layer"),
}
DIGITS = Data("digits")


# RNN (test_rnn) -----------------------------------------------------------------------------------
RNN_CASES: list[dict] = [
    dict(cell="rnn"),
    dict(cell="lstm"),
    dict(cell="gru"),
    dict(cell="lstm", layers=2),
    dict(cell="gru", layers=2),
    dict(cell="rnn", norm="layer"),
    dict(cell="lstm", norm="layer"),
    dict(cell="rnn", norm="batch", norm_gamma=0.1),
    dict(cell="lstm", norm="batch", norm_gamma=0.1, layers=2),
]


def rnn_model(case: dict) -> RNN:
    """test_rnn's small recurrent net: 2 features per step, 5 units, regression head."""
    return RNN(features=2, hidden=5, head="mse", bias_init=0.1, **case)


def rnn_name(case: dict) -> str:
    return "-".join(f"{v}" for v in case.values())


ADDING = Data("adding", params=(("n", 200), ("seed", 0), ("steps", 6)), standardize=False)


# Autoencoders (test_autoencoders) -----------------------------------------------------------------
AE_CONFIGS: dict[str, Autoencoder] = {
    "linear": Autoencoder(widths=(), code=4, activation="linear"),
    "deep": Autoencoder(widths=(16, 8), code=3, activation="tanh", out_activation="sigmoid", bias_init=0.1),
    "tied": Autoencoder(widths=(12,), code=5, activation="sigmoid", code_activation="sigmoid", tied=True),
    "conv": Autoencoder(
        widths=(6,), code=3, conv_channels=(4, 5), activation="tanh", out_activation="sigmoid"
    ),
    "vae": Autoencoder(widths=(10,), code=3, activation="relu", variational=True, decoder_var=0.05),
    "conv_vae": Autoencoder(code=2, widths=(), conv_channels=(3,), variational=True, init=Init("he_uniform")),
}
PIXELS = Data("digits", unit_range=True, target="input")


def exact_cases(family: str | None = None) -> list[Case]:
    """Rungs 1 and 2: every case of `family` (all families when None)."""
    cases = mlp_cases()
    cases += [Case(f"cnn/{k}", m, data=DIGITS) for k, m in CNN_CASES.items()]
    cases += [Case(f"rnn/{rnn_name(c)}", rnn_model(c), data=ADDING) for c in RNN_CASES]
    cases += [Case(f"ae/{k}", m, data=PIXELS) for k, m in AE_CONFIGS.items()]
    cases.append(Case("ae/masking-noise", Autoencoder(widths=(12,), code=4, mask_noise=0.3), data=PIXELS))
    return [c for c in cases if family is None or c.family == family]


def trajectory_cases(family: str | None = None) -> list[TrajCase]:
    """Rung 3: identical batches through both engines (dropout 0); SGD and Adam for every family."""
    m = replace(BASE, depth=2)
    bn = replace(m, norm="batch", norm_position="before")
    adam = Optimizer("adam", lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)
    tr = Training(batch_size=32, drop_last=True)
    cases = [
        TrajCase("sgd", m, Optimizer("sgd", lr=0.1)),
        TrajCase("momentum", m, Optimizer("momentum", lr=0.05, momentum=0.9)),
        TrajCase("nesterov", m, Optimizer("nesterov", lr=0.05, momentum=0.9)),
        TrajCase("adam", m, adam),
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
        # test_batch9's max-norm net; He-normal columns start at norm ~sqrt(2) > 1: the constraint
        # binds from the first step (at test_batch9's lr 0.2 the float32 drift is 3.9e-5 at 100 steps)
        TrajCase(
            "momentum/max-norm",
            MLP(depth=2, width=16, init=Init("he_normal")),
            Optimizer("momentum", lr=0.05, momentum=0.9),
            Training(batch_size=32, drop_last=True, max_norm=1.0),
        ),
        TrajCase("adam/highway", HIGHWAY, adam),
        TrajCase("cnn/sgd/plain", CNN_CASES["plain"], Optimizer("sgd", lr=0.05), tr, DIGITS),
        # Not Adam here: a bias (and the weight-norm gain g) in front of BN has zero true gradient,
        # and Adam scales the rounding noise in it to lr-sized steps that differ between frameworks
        # (measured: 8e-11 after 20 steps in float64, the biases' whole movement).
        TrajCase(
            "cnn/sgd/weightnorm+batchnorm", CNN_CASES["weightnorm"], Optimizer("sgd", lr=0.05), tr, DIGITS
        ),
        TrajCase("cnn/adam/cosine", CNN_CASES["cosine"], adam, tr, DIGITS),
        TrajCase("cnn/adam/layer", CNN_CASES["layer"], adam, tr, DIGITS),
        TrajCase("rnn/sgd/gru", rnn_model(dict(cell="gru")), Optimizer("sgd", lr=0.1), tr, ADDING),
        TrajCase("rnn/adam/lstm-layernorm", rnn_model(dict(cell="lstm", norm="layer")), adam, tr, ADDING),
        # lr 1e-3: at test_rnn's lr 0.01 this case stays within 1.6e-15 for 20 steps, then drifts to
        # 7e-11 by step 100 in float64 (rnn0/kernel) and to 0.34 (params) in float32: the run is
        # sensitive to rounding there (not investigated further); at lr 1e-3 both dtypes stay in band
        TrajCase(
            "rnn/adam/lstm-batchnorm",
            rnn_model(dict(cell="lstm", norm="batch", norm_gamma=0.1)),
            adam,
            tr,
            ADDING,
        ),
        TrajCase("ae/sgd/conv", AE_CONFIGS["conv"], Optimizer("sgd", lr=0.5), tr, PIXELS),
        TrajCase("ae/adam/tied", AE_CONFIGS["tied"], adam, tr, PIXELS),
        TrajCase("ae/adam/vae", AE_CONFIGS["vae"], adam, tr, PIXELS),
    ]
    return [c for c in cases if family is None or c.family == family]
