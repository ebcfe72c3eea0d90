"""PyTorch implementation of `impls.spec` (sibling of `impls.tf_impl`, same files and names)."""

from impls.torch_impl.seedbatch import run_seed_batch
from impls.torch_impl.train import pin_threads, run_trial

__all__ = ["pin_threads", "run_seed_batch", "run_trial"]
