"""What the results MEAN: statistics, verdicts, figures, Markdown and HTML. Never imports torch, tensorflow or ray."""
