"""Analytic FLOP counts (framework-free) for the forward and backward pass of an MLP.

Counted: every dense layer's matmul (2*B*a*b: a multiply and an add per weight and example), its
bias add (B*b) and one FLOP per element for each hidden activation and for its derivative.
Backward per dense layer: dL/dW (2*B*a*b), dL/db (B*b) and dL/dx (2*B*a*b) except for the first
layer, whose input needs no gradient. The loss, softmax and the optimiser update are left out
(O(B*k) and O(params), small next to the matmuls). This is the accounting behind the "backward
~ 2x forward" rule (e.g. Epoch AI, "What's the backward-forward FLOP ratio for neural networks?").
"""

from __future__ import annotations

import itertools

from impls.spec import MLP


def mlp_flops(m: MLP, n_in: int, n_out: int, batch: int) -> tuple[float, float]:
    """(forward FLOPs, backward FLOPs) of one batch through `m` (residual/highway/norm ignored)."""
    dims = [n_in] + [m.width] * m.depth + [n_out]
    fwd = bwd = 0.0
    for i, (a, b) in enumerate(itertools.pairwise(dims)):
        hidden = i < m.depth
        fwd += 2.0 * batch * a * b + batch * b + (batch * b if hidden else 0.0)
        bwd += 2.0 * batch * a * b + batch * b + (batch * b if hidden else 0.0)  # dW, db, act'
        if i > 0:
            bwd += 2.0 * batch * a * b  # dL/dx into the layer below
    return fwd, bwd
