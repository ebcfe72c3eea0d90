"""TensorFlow implementation of `impls.spec` (sibling of `impls.torch_impl`, same files and names)."""

from impls.tf_impl.seedbatch import run_seed_batch
from impls.tf_impl.train import pin_threads, run_trial

__all__ = ["pin_threads", "run_seed_batch", "run_trial"]
