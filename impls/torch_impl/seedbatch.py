"""PyTorch seed-batched MLP (see `impls.seedbatch`): S seeds' weights stacked on a leading axis,
one update for all of them per step, and `run_seed_batch` (dense autoencoders: `seedbatch_ae`,
recurrent nets: `seedbatch_rnn`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from impls import seedbatch
from impls.spec import MLP, RNN, Autoencoder, TrialSpec
from impls.torch_impl import device, losses, models, optim, train
from impls.torch_impl.experiments import state_grads
from impls.torch_impl.seedbatch_ae import StackedAE
from impls.torch_impl.train import env, pin_threads, seeded_net

aten = torch.ops.aten


def dropout_generators(spec: TrialSpec, seeds: list[int], n_in: int, n_out: int) -> list[torch.Generator]:
    """Each seed's dropout stream, in the state where its sequential run starts drawing masks:
    after `train.seeded_net`, replayed here on a fork of the global state. On a GPU the sequential
    masks come from the CUDA generator, so there each seed gets a generator seeded alike: masks
    equal in distribution, not bit for bit."""
    if device.current().type != "cpu":
        return [torch.Generator(device.current()).manual_seed(seed % (2**63)) for seed in seeds]
    gens = []
    with torch.random.fork_rng(devices=[]):
        for seed in seeds:
            seeded_net(spec, seed, n_in, n_out)
            gens.append(torch.Generator())
            gens[-1].set_state(torch.get_rng_state())
    return gens


class StackedMLP:
    """`models.MLPNet` for S seeds at once. Kernels (S, in, out) in the canonical layout (torch's
    Linear stores (out, in)), biases, norm gammas/betas and running statistics (S, units), highway
    gates (S, width, width) and (S, width). The optimiser is the sequential one
    (`optim.make_optimizer`) over these stacked tensors: every optimiser in the spec is
    elementwise, so seed s's slice is updated exactly as seed s alone would be.

    Batch norm is torch's own `F.batch_norm` (what `nn.BatchNorm1d` calls) on the stack laid out
    as (batch, S * units): each of the S * units channels is one unit of one seed, so the
    statistics of seed s come from seed s's batch only, and train mode updates the running
    statistics in place with torch's convention (momentum `bn_momentum` on the new value,
    unbiased batch variance), eval mode uses them. Train mode is every call that computes a
    gradient (steps and the gradient probes, which update the running statistics as the
    sequential engine's do); eval mode every call that does not."""

    def __init__(
        self, spec: TrialSpec, seeds: list[int], w0s: list[dict[str, np.ndarray]], n_in: int, n_out: int
    ) -> None:
        m = spec.model
        assert isinstance(m, MLP)
        self.spec, self.m, self.act = spec, m, models.ACT[m.activation]
        self.gens = dropout_generators(spec, seeds, n_in, n_out) if m.dropout or m.input_dropout else []
        self.names = [f"hidden{i}" for i in range(m.depth)] + ["head"]

        def stack(key: str) -> torch.Tensor:
            return device.tensor(np.ascontiguousarray(np.stack([w[key] for w in w0s])))

        def param(key: str) -> torch.nn.Parameter:
            return torch.nn.Parameter(stack(key))

        self.kernels = [param(f"{n}/kernel") for n in self.names]  # (S, in, out)
        self.biases = [param(f"{n}/bias") for n in self.names]  # (S, out)
        norm = m.norm != "none"
        self.gammas = [param(f"norm{i}/gamma") for i in range(m.depth)] if norm else []
        self.betas = [param(f"norm{i}/beta") for i in range(m.depth)] if norm else []
        batch = m.norm == "batch"
        self.means = [stack(f"norm{i}/mean") for i in range(m.depth)] if batch else []  # buffers
        self.vars = [stack(f"norm{i}/var") for i in range(m.depth)] if batch else []
        # highway gates of hidden layers 1..depth-1: gate_k[i - 1] belongs to layer i
        self.gate_k = [param(f"gate{i}/kernel") for i in range(1, m.depth)] if m.highway else []
        self.gate_b = [param(f"gate{i}/bias") for i in range(1, m.depth)] if m.highway else []
        params = [p for pair in zip(self.kernels, self.biases, strict=True) for p in pair]
        params += self.gammas + self.betas + self.gate_k + self.gate_b
        self.opt = optim.make_optimizer(spec.optimizer, params)
        self.by_hand = train.by_hand(spec)  # `_backward` writes the gradients out

    def _norm(self, i: int, z: torch.Tensor, training: bool, sel: slice) -> torch.Tensor:
        m = self.m
        if m.norm == "layer":  # F.layer_norm's (x - mean) * rstd, then this seed's gamma, beta
            out = F.layer_norm(z, (z.shape[-1],), None, None, m.norm_eps)
            return out * _pick(self.gammas[i], sel).unsqueeze(1) + _pick(self.betas[i], sel).unsqueeze(1)
        n_seeds, b, u = z.shape
        flat = z.transpose(0, 1).reshape(b, n_seeds * u)  # channel s * u + j = unit j of seed s
        out = F.batch_norm(
            flat,
            self.means[i][sel].view(-1),  # views: F.batch_norm updates the stacked buffers in place
            self.vars[i][sel].view(-1),
            self.gammas[i][sel].reshape(-1),
            self.betas[i][sel].reshape(-1),
            training,
            m.bn_momentum,
            m.norm_eps,
        )
        return out.reshape(b, n_seeds, u).transpose(0, 1)

    def _forward(
        self,
        x: torch.Tensor,
        training: bool,
        keep: list[torch.Tensor] | None = None,
        sel: slice = slice(None),
    ) -> torch.Tensor:
        """x (S, b, in) -> outputs (S, b, k), `MLPNet.forward` per seed (baddbmm = per-seed
        x @ W + b); `sel` picks the seeds (all, or one as s:s+1)."""
        m, act = self.m, self.act
        h = self._dropout(x, m.input_dropout, "standard") if training and m.input_dropout else x
        for i in range(m.depth):
            z = torch.baddbmm(_pick(self.biases[i], sel).unsqueeze(1), h, _pick(self.kernels[i], sel))
            if m.norm == "none":
                z = act(z)
            elif m.norm_position == "before":
                z = act(self._norm(i, z, training, sel))
            else:
                z = self._norm(i, act(z), training, sel)
            if keep is not None:
                keep.append(z)
            if training and m.dropout:
                z = self._dropout(z, m.dropout, m.dropout_kind)
            if m.highway and i > 0:
                gate_b, gate_k = _pick(self.gate_b[i - 1], sel), _pick(self.gate_k[i - 1], sel)
                gate = torch.baddbmm(gate_b.unsqueeze(1), h, gate_k)
                t = torch.sigmoid(gate)  # transform gate; carry = 1 - t
                h = t * z + (1.0 - t) * h
            else:
                h = h + z if m.residual and i > 0 else z
        return torch.baddbmm(_pick(self.biases[-1], sel).unsqueeze(1), h, _pick(self.kernels[-1], sel))

    def _dropout(self, z: torch.Tensor, p: float, kind: str) -> torch.Tensor:
        """`MLPNet`'s train-mode dropout of z (S, b, units), seed s's mask from seed s's generator,
        as torch draws it for (b, units) alone: F.dropout's CPU path (bernoulli_(1 - p), div_(1 - p),
        z * noise) or alpha-dropout's rand_like(z) >= p. The elementwise ops then run on the stack."""
        shape, dt, dev = z.shape[1:], z.dtype, z.device
        if kind == "alpha":
            u = torch.stack([torch.rand(shape, generator=g, dtype=dt, device=dev) for g in self.gens])
            return models.alpha_dropout(z, (u >= p).to(dt), p)
        noise = torch.stack(
            [torch.empty(shape, dtype=dt, device=dev).bernoulli_(1 - p, generator=g) for g in self.gens]
        )
        return z * noise.div_(1 - p)

    def _losses(self, x: np.ndarray, y: np.ndarray, keep: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Train-mode per-seed losses (S,), as `TorchEngine._loss` per seed."""
        t, head = self.spec.training, self.spec.model.head
        out, yt = self._forward(device.tensor(x), True, keep), device.tensor(y)
        if head == "softmax":  # `losses.per_example`'s cross-entropy, in `_log_softmax`'s layout
            per = -_log_softmax(out).gather(1, yt.unsqueeze(1)).squeeze(1)  # (S, b)
        else:
            per = losses.per_example(out, yt, head)
        per_seed = per.sum(dim=1) if t.loss_reduction == "sum" else per.mean(dim=1)  # (S,)
        if t.l2:
            per_seed = per_seed + 0.5 * t.l2 * sum((k**2).sum(dim=(1, 2)) for k in self.kernels)
        return per_seed

    def _backward(self, x: np.ndarray, y: np.ndarray) -> torch.Tensor:
        """The per-seed losses (S,) on x (S, b, in), y (S, b), with every parameter's gradient of
        sum_s L_s in its .grad (cleared before): d(sum_s L_s)/dW_s = dL_s/dW_s, each seed's own.
        A plain stack with a softmax head (`by_hand`) writes out the calls autograd makes for
        `_forward`: baddbmm(b, h, W)'s gradients are g.bmm(W^T) for h, h^T.bmm(g) for W and g
        summed over the batch for b; the loss's are those of `_losses`' log-softmax, gather and
        mean (or sum) per seed."""
        if not self.by_hand:
            per_seed = self._losses(x, y)
            per_seed.sum().backward()
            return per_seed
        with torch.no_grad():
            h, hs, zs = device.tensor(x), [], []
            for w, b in zip(self.kernels[:-1], self.biases[:-1], strict=True):
                hs.append(h)
                zs.append(torch.baddbmm(b.unsqueeze(1), h, w))
                h = self.act(zs[-1])
            hs.append(h)  # hs[i]: layer i's input (S, b, in); zs[i]: hidden pre-activation (S, b, width)
            out = torch.baddbmm(self.biases[-1].unsqueeze(1), h, self.kernels[-1])  # (S, b, k)
            logp, yt = _log_softmax(out), device.tensor(y).unsqueeze(1)  # (S, k, b), (S, 1, b)
            per = -logp.gather(1, yt).squeeze(1)  # (S, b)
            mean = self.spec.training.loss_reduction != "sum"
            per_seed = per.mean(dim=1) if mean else per.sum(dim=1)
            g = torch.ones_like(per_seed).unsqueeze(1).expand(per.shape)
            g = -(g / per.shape[1] if mean else g)  # autograd's: mean (or sum), neg, then gather's
            g = torch.zeros_like(logp).scatter_add_(1, yt, g.unsqueeze(1))
            g = aten._log_softmax_backward_data(g, logp, 1, logp.dtype).transpose(1, 2)  # (S, b, k)
            grad = models.ACT_GRAD[self.m.activation]
            for i in range(len(self.kernels) - 1, -1, -1):  # g: dL/d(output of layer i), (S, b, out)
                self.kernels[i].grad = hs[i].transpose(1, 2).bmm(g)
                self.biases[i].grad = g.sum(1)
                if i:
                    g = grad(g.bmm(self.kernels[i].transpose(1, 2)), zs[i - 1], hs[i])
        return per_seed

    def step(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        optim.clear_grads(self.opt)
        per_seed = self._backward(x, y)
        alpha = self.spec.optimizer.backstitch
        if alpha:  # `TorchEngine.step`'s backstitch, elementwise: each seed's slice as alone
            lr = float(self.opt.param_groups[0]["lr"])
            params = [p for p in self.opt.param_groups[0]["params"] if p.grad is not None]
            with torch.no_grad():
                for p in params:
                    p.add_(p.grad, alpha=alpha * lr)
            optim.clear_grads(self.opt)
            self._backward(x, y)  # second forward/backward: fresh dropout masks
            with torch.no_grad():
                for p in params:
                    p.add_(p.grad, alpha=-(1.0 + alpha) * lr)
        else:
            self.opt.step()
        return device.numpy(per_seed)

    def outputs(self, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return device.numpy(self._forward(device.tensor(x), False))

    def outputs_one(self, s: int, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return device.numpy(self._forward(device.tensor(x)[None], False, sel=slice(s, s + 1))[0])

    def grad_norms(self, x: np.ndarray, y: np.ndarray) -> list[list[float]]:
        grads = torch.autograd.grad(self._losses(x, y).sum(), self.kernels)
        return [[float(g[s].norm()) for g in grads] for s in range(x.shape[0])]

    def act_grad_vars(self, x: np.ndarray, y: np.ndarray) -> list[list[float]]:
        keep: list[torch.Tensor] = []
        grads = torch.autograd.grad(self._losses(x, y, keep).sum(), keep)
        return [[float(g[s].var(unbiased=False)) for g in grads] for s in range(x.shape[0])]

    def activations(self, x: np.ndarray) -> list[list[np.ndarray]]:
        keep: list[torch.Tensor] = []
        with torch.no_grad():
            self._forward(device.tensor(x), False, keep)
        return [[device.numpy(a[s]) for a in keep] for s in range(x.shape[0])]

    def export(self, s: int) -> dict[str, np.ndarray]:
        out: dict[str, torch.Tensor] = {}
        for n, w, b in zip(self.names, self.kernels, self.biases, strict=True):
            out[f"{n}/kernel"], out[f"{n}/bias"] = w[s], b[s]
        for i, (g, b) in enumerate(zip(self.gammas, self.betas, strict=True)):
            out[f"norm{i}/gamma"], out[f"norm{i}/beta"] = g[s], b[s]
        for i, (mean, var) in enumerate(zip(self.means, self.vars, strict=True)):
            out[f"norm{i}/mean"], out[f"norm{i}/var"] = mean[s], var[s]
        for i, (k, b) in enumerate(zip(self.gate_k, self.gate_b, strict=True), start=1):
            out[f"gate{i}/kernel"], out[f"gate{i}/bias"] = k[s], b[s]
        return {k: device.numpy(v).copy() for k, v in out.items()}

    def set_lr(self, lr: float) -> None:
        for group in self.opt.param_groups:
            group["lr"] = lr


def _log_softmax(out: torch.Tensor) -> torch.Tensor:
    """Log-softmax of logits (S, b, k) over the classes, laid out (S, k, b): torch's kernel over a
    contiguous axis of ~10 classes is slow (49 us for S * b = 320 rows in float32, against 3 us
    over the axis of a (k, 320) layout), and in a stack it ran once per step on S times the rows.
    With the gather and backward around it, the stack's loss fell from 98 to 39 us per step."""
    return torch.log_softmax(out.transpose(1, 2), 1)


def _pick(t: torch.Tensor, sel: slice) -> torch.Tensor:
    """The seeds `sel` of a stacked tensor: the tensor itself for all of them, since a slice of
    a parameter costs a zero-filled copy of its whole gradient in autograd's backward (~15% of a
    small stack's step)."""
    return t if sel == slice(None) else t[sel]


def state_grads_of(spec: TrialSpec, w: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> list[float]:
    """experiments/state_grads.py's probe of one seed's weights `w`, on a sequential net holding
    them (built with the global generator forked: nn.Linear's init draws from it)."""
    with torch.random.fork_rng(devices=[]):
        net = models.build(spec.model, x.shape[1], w["head/bias"].shape[-1], spec.training.dtype)
    models.load_weights(net, w)
    return state_grads.state_grad_norms(net, x, y, spec.model.head)


def run_seed_batch(spec: TrialSpec, seeds: list[int], threads: int = 1) -> list[dict[str, Any]]:
    """`run_trial(spec, seed)` for every seed, trained as one stack; raises
    `impls.seedbatch.NotBatchable` when the spec or the seeds' splits do not allow it."""
    from impls.torch_impl.seedbatch_rnn import StackedRNN  # it imports `dropout_generators` from here

    pin_threads(threads)
    m = spec.model
    family: seedbatch.MakeEngine = (
        StackedAE if isinstance(m, Autoencoder) else StackedRNN if isinstance(m, RNN) else StackedMLP
    )
    return seedbatch.run(spec, seeds, family, env(), state_grads_of, fw=train)
