"""WHERE and WHEN trials run: plan, execute (in-process or Ray), store, CLI. No model code."""
