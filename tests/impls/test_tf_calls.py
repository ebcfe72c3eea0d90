"""The TF engines' call path (`tf_impl.train.concrete`, `as_tensor`) skips TF's dispatch layers
for speed; it must hand the graph exactly the tensors `tf.convert_to_tensor` would."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.frameworks


def test_as_tensor_is_convert_to_tensor_for_numpy_arrays() -> None:
    import tensorflow as tf

    from impls.tf_impl.train import as_tensor

    rng = np.random.default_rng(0)
    arrays = [
        rng.random((4, 3)),
        rng.random((4, 3)).astype(np.float32),
        rng.integers(0, 9, 5),
        np.array(2.5),
        rng.random((6, 4))[:, ::2],  # not contiguous
        np.array([True, False]),
        [[1.0, 2.0]],  # not an array: TF's own path
    ]
    for a in arrays:
        for dtype in (tf.float32, tf.float64, tf.int64, tf.int32):
            got = want = None
            try:
                want = tf.convert_to_tensor(a, dtype)
            except (TypeError, ValueError) as exc:
                with pytest.raises(type(exc)):
                    as_tensor(a, dtype)
                continue
            got = as_tensor(a, dtype)
            assert got.dtype == want.dtype and got.shape == want.shape and got.device == want.device
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    x = rng.random((1000, 100))  # large enough to be page-aligned, which TF would alias
    t = as_tensor(x, tf.float64)
    x[:] = 0.0  # the tensor holds a copy, as convert_to_tensor's does
    assert float(tf.reduce_min(tf.abs(t))) > 0.0


def test_a_concrete_call_gives_the_structured_call_s_result_with_its_variables_current() -> None:
    import tensorflow as tf

    from impls.tf_impl.train import concrete

    v = tf.Variable(np.ones(3))

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float64)], autograph=False)
    def f(x: tf.Tensor) -> tf.Tensor:
        v.assign_add(tf.reduce_sum(x, axis=0))
        return x * v

    fast = concrete(f)
    x = np.arange(6.0).reshape(2, 3)
    a = fast(x).numpy()
    v.assign(np.ones(3))
    np.testing.assert_array_equal(a, f(x).numpy())
    v.assign(np.full(3, 2.0))  # a captured variable is read at each call, not at tracing
    np.testing.assert_array_equal(fast(x).numpy(), x * (2.0 + x.sum(axis=0)))
