"""Device set-up at the top of a trial: cap this process to its GPU share (see runners/gpu.py).
TF fixes its devices on first use, so this must run before any op; later calls are no-ops."""

from __future__ import annotations

import tensorflow as tf


def configure(
    memory_fraction: float | None, memory_limit_mb: int | None = None, hide_gpus: bool = False
) -> str:
    gpus = tf.config.list_physical_devices("GPU")
    try:
        if hide_gpus or not memory_fraction:
            tf.config.set_visible_devices([], "GPU")  # a CPU trial must not grab GPU memory
            return "cpu"
        for gpu in gpus:
            if memory_limit_mb:
                tf.config.set_logical_device_configuration(
                    gpu, [tf.config.LogicalDeviceConfiguration(memory_limit=memory_limit_mb)]
                )
            else:
                tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError:  # devices already initialised in this worker: keep what was set first
        pass
    return "gpu" if gpus and memory_fraction else "cpu"
