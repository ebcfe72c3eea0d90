"""Experiments beyond the shared training loop (timing, memory, framework behaviour): one module per
`TrialSpec.experiment` name, each with `run(spec, seed, threads) -> result` (the same dict as
`run_trial`), and the same module names in impls/torch_impl/experiments and impls/tf_impl/experiments."""
