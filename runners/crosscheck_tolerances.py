"""The cross-framework ladder's tolerances (`runners.crosscheck`), one per compared quantity and
dtype. Every figure was MEASURED first on the development machine (one thread, CPU; torch 2.13,
TF 2.21) and then set with stated headroom; the observed figure is written beside it."""

from __future__ import annotations

# Tolerances ---------------------------------------------------------------------------------------
# (quantity key, dtype) -> tolerance. Observed = the largest value over all cases of that rung on
# the development machine (1 thread; rung 3 at k=100). Headroom is stated per line; the first
# figure is the MLP's, the CNN / RNN / autoencoder (ae) figures follow, with the headroom where it
# is under ~30x. The family tolerances are shared with the MLP's rather than loosened.
TOL: dict[tuple[str, str], float] = {
    # rung 1: integers and shapes must be identical
    ("count", "float64"): 0.0,
    ("count", "float32"): 0.0,
    # rung 2: weight transfer canonical -> torch -> tf -> canonical is a copy: bit-exact
    ("roundtrip", "float64"): 0.0,
    ("roundtrip", "float32"): 0.0,
    # rung 2: eval-mode outputs, max|a-b| / max|a|
    ("forward", "float64"): 1e-13,  # observed 9.3e-16 (layernorm-after) -> ~110x
    #   cnn 9.3e-16 (bn-before), rnn 4.4e-15 (lstm-layer, ~23x), ae 4.6e-16 (conv)
    ("forward", "float32"): 1e-5,  # observed 3.7e-7 (layernorm-after) -> ~30x
    #   cnn 3.7e-7 (weightnorm), rnn 7.6e-7 (rnn-layer, ~13x), ae 3.3e-7 (conv)
    # rung 2: training loss (train mode), |a-b| / |a|
    ("loss", "float64"): 3e-14,  # observed 3.2e-16 -> ~90x; cnn 1.9e-16, rnn 1.6e-16, ae 2.2e-16
    ("loss", "float32"): 5e-6,  # observed 9.4e-8 (mish) -> ~50x
    #   cnn 1.7e-7 (bn-after-tanh), rnn 2.1e-7 (gru, ~24x), ae 9.4e-8 (tied)
    # rung 2: kernel gradients (dense/conv kernels, RNN recurrent matrices), max over layers of
    # ||ga-gb|| / ||ga||
    ("grad_kernel", "float64"): 1e-13,  # observed 1.2e-15 (residual+batchnorm-after) -> ~85x
    #   cnn 4.0e-15 (bn-before, ~25x), rnn 1.7e-15 (lstm-batch-2 layers), ae 6.7e-16 (conv)
    ("grad_kernel", "float32"): 3e-5,  # observed 5.1e-7 (residual+batchnorm-after) -> ~60x
    #   cnn 2.4e-6 (bn-after-tanh, ~12x), rnn 2.5e-6 (lstm-batch-2 layers, ~12x), ae 8.5e-7 (conv_vae)
    # rung 2: all trainable gradients as one vector, ||ga-gb|| / ||ga||
    ("grad_all", "float64"): 1e-13,  # observed 1.0e-15 -> ~95x; cnn 2.7e-15, rnn 1.3e-15, ae 6.1e-16
    ("grad_all", "float32"): 3e-5,  # observed 4.8e-7 -> ~60x; cnn 2.2e-6 (~14x), rnn 2.7e-7, ae 5.9e-7
    # rung 3: after k=100 updates, max |w_torch - w_tf| over all trainable parameters
    ("traj_param", "float64"): 5e-13,  # observed 5.0e-15 (momentum) -> 100x; cnn 8.9e-16, rnn 1.2e-15,
    #   ae 2.2e-16, mlp momentum/max-norm 4.5e-16
    ("traj_param", "float32"): 1e-4,  # observed 1.9e-6 (nesterov) -> ~55x; cnn 1.0e-6, rnn 9.7e-7,
    #   ae 1.4e-6 (adam/vae)
    # rung 3: over k=100 updates, max |loss_torch - loss_tf| / max(1, |loss_torch|)
    ("traj_loss", "float64"): 5e-13,  # observed 6.3e-15 (nesterov) -> ~80x; cnn 3.9e-16, rnn 2.2e-16,
    #   ae 5.6e-17
    ("traj_loss", "float32"): 3e-4,  # observed 7.5e-6 (adam) -> 40x; cnn 1.4e-6, rnn 1.1e-5
    #   (adam/lstm-layernorm, ~28x), ae 7.8e-7
    # rung 3: BN running mean after k=100 updates, max |torch - tf|
    ("bn_mean", "float64"): 5e-14,  # observed 8.1e-16 -> ~60x; cnn 6.7e-16, rnn 2.2e-15 (~23x)
    ("bn_mean", "float32"): 2e-5,  # observed 2.8e-7 -> ~70x; cnn 3.6e-7, rnn 7.1e-7 (~28x)
    # rung 3: BN running var, torch vs tf corrected by n/(n-1), max|d| / max|torch|
    ("bn_var", "float64"): 5e-14,  # observed 6.0e-16 -> ~85x; cnn 1.4e-15
    ("bn_var", "float32"): 3e-5,  # observed 3.8e-7 -> ~80x; cnn 4.4e-7
    # rung 3: recurrent per-step BN running var (same convention in both), max|d| / max|torch|
    ("bn_var_rnn", "float64"): 1e-13,  # observed 9.2e-16 (rnn/adam/lstm-batchnorm) -> ~110x
    ("bn_var_rnn", "float32"): 3e-4,  # observed 6.1e-6 (rnn/adam/lstm-batchnorm) -> ~50x
    # rung 3: observed gap torch - tf vs the predicted gap (n/(n-1) - 1) * (tf EMA), relative
    # (the gap is ~3% of the variance, so it carries ~30x the relative error of the variances)
    ("bn_gap", "float64"): 1e-12,  # observed 1.9e-14 -> ~50x
    ("bn_gap", "float32"): 1e-3,  # observed 1.2e-5 -> ~80x
    # the same for conv BN, where n = batch*H*W = 2048: the gap is 1/(n-1) ~ 5e-4 of the variance, so
    # it carries ~2000x the relative error of the variances (a wrong n, e.g. batch only, gives ~60)
    ("bn_gap_conv", "float64"): 1e-10,  # observed 2.4e-12 (cnn/sgd/weightnorm+batchnorm) -> ~40x
    ("bn_gap_conv", "float32"): 1e-2,  # observed 2.4e-4 (cnn/sgd/weightnorm+batchnorm) -> ~40x
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
