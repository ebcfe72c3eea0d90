"""The method page's text: how a verdict is decided, in plain words.

Plain text only (no markup): the templates escape it for HTML and Markdown alike. Each part is
(heading, paragraphs). It paraphrases the docstrings of `reports.stats` and `runners.adaptive`;
when those change, this changes with them.
"""

from __future__ import annotations


def method_parts(alpha: float) -> list[tuple[str, list[str]]]:
    """The method page's sections for a family-wise error rate `alpha` per claim and framework."""
    a = f"{alpha:g}"
    return [
        (
            "What is compared",
            [
                "Every claim writes down, before any result exists, one or more expectations: a metric, "
                "a treatment and a control (two points of the claim's grid of factors, or a fixed "
                "reference value), a direction (greater, less, or equivalent) and the smallest effect "
                "that matters. Factors named in neither arm are conditions: the comparison is made "
                "separately under each of them.",
                "A verdict is about the claim's operationalisation (the model, data and training "
                "budget written on its page), not about the note's words in general.",
            ],
        ),
        (
            "Paired effects",
            [
                "Trials with the same seed index share their data order and initial weights in both "
                "arms, so each seed gives one difference, treatment minus control (divided by the "
                "control's size for a relative claim). The effect is the mean of these differences "
                "across seeds.",
                "A failed or diverged trial is counted in the table's failed column and its seed is "
                "left out of that comparison, so an effect is conditional on training not diverging.",
            ],
        ),
        (
            "How sure we are: the confidence interval",
            [
                "The interval around the effect is a percentile bootstrap of the mean difference: the "
                "seeds are resampled with replacement thousands of times. With the 5 to 20 seeds a "
                "study affords, the plain bootstrap interval is too narrow, so it is widened for small "
                "samples (Hesterberg 2015) and never narrower than the Student t interval.",
            ],
        ),
        (
            "Many comparisons, one claim",
            [
                f"A claim with m comparisons (expectations times conditions) in a framework gets each "
                f"interval at the level 1 - {a}/m (Bonferroni), so the chance that any of the claim's "
                f"verdicts in that framework is wrong is at most {a}.",
                "The p-values shown are paired t-tests, Holm-adjusted within the framework. They are "
                "given for reference: the verdict is read off the interval.",
            ],
        ),
        (
            "The verdict of one comparison",
            [
                "The band of no practical difference runs from minus to plus the smallest effect that "
                "matters.",
                "'greater': supported when the whole interval lies above zero and the effect reaches "
                "the smallest effect that matters; refuted when the whole interval lies below zero, or "
                "lies inside the band (whatever the difference is, it is too small to matter); "
                "inconclusive otherwise. 'less' is the mirror image.",
                "'equivalent' (two one-sided tests read off the interval): supported when the whole "
                "interval lies inside the band, refuted when it lies entirely outside it, inconclusive "
                "otherwise.",
            ],
        ),
        (
            "The verdict of a claim",
            [
                "Per framework: supported when every comparison is supported, refuted when every one "
                "is refuted, mixed when some are supported and some refuted (the claim page names the "
                "conditions under which it holds and fails), inconclusive otherwise.",
                "The frameworks disagree when their claim verdicts differ; the index flags this first, "
                "as a finding in its own right. The cross-framework page also compares the effect "
                "sizes themselves.",
            ],
        ),
        (
            "Interactions",
            [
                "An expectation 'across' a factor (high and low level) asks whether an effect grows "
                "from one level of that factor to the other: per seed, the effect at the high level "
                "minus the effect at the low level, analysed like any other effect, with its own "
                "interval.",
            ],
        ),
        (
            "Seeds needed",
            [
                "For an inconclusive comparison the table gives a rough number of seeds per arm likely "
                "to decide it: ((z for the interval's level + z for 80% power) x sd / d) squared, where "
                "sd is the spread of the per-seed differences and d how far the interval's half-width "
                "must shrink (to exclude zero, or to fit inside the band), taking the observed effect "
                "as the truth. Capped at 10 000.",
            ],
        ),
        (
            "Adding seeds until decided",
            [
                "claimbench run --until-decided doubles a claim's seeds (n0, 2 n0, 4 n0, ... up to "
                "--max-seeds) while any of its comparisons is inconclusive. Looking at the data after "
                "every round and stopping when it decides would inflate the error rate, so the number "
                "of possible looks K = 1 + ceil(log2(max seeds / n0)) is fixed before any data is "
                f"seen and every look is charged {a}/K (Bonferroni over looks). The report evaluates "
                "such a claim at that level. It is conservative, and a simulation in the tests checks "
                "its rate of false 'supported' verdicts.",
            ],
        ),
        (
            "Agreement between frameworks",
            [
                "Per condition, the gap is the PyTorch effect minus the TensorFlow effect. The "
                "frameworks are independent samples, so its interval resamples each framework's "
                "per-seed differences separately, at the claim's level. A gap whose interval "
                "excludes zero is flagged.",
                "The regression ladder checks the implementations themselves: equal parameter counts, "
                "equal outputs, losses and gradients from the same weights, training trajectories "
                "within measured tolerances, and the same train and eval behaviour.",
            ],
        ),
    ]
