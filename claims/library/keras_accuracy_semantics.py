"""The note: Keras accuracy rounds binary predictions at 0.5 and takes the argmax for categorical."""

from claims import Claim, Expect, spec

CHECKS = ["binary", "categorical", "sparse_categorical"]


class KerasAccuracySemantics(Claim):
    name = "keras-accuracy-semantics"
    version = 1
    title = "Built-in accuracy = rounding at 0.5 (binary) / argmax match (categorical), averaged"
    section = "E. Regularisation, evaluation, training practice"
    source = (
        "How does Keras calculate accuracy? Formula and explanation Compares label with the rounded predicted "
        "float, i.e. bigger than 0.5 = 1, smaller than = 0 For categorical we take the argmax for the label and "
        "the prediction and compare their location. In both cases, we average the results."
    )
    literature = (
        "Keras 3 API docs (keras.metrics.BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, "
        "Accuracy; compile(metrics=['accuracy'])). Core PyTorch has no accuracy metric: its side checks the "
        "idiomatic expressions torch.round(p) == y and argmax(dim=1) == y."
    )
    operationalisation = (
        "400 binary predictions (a quarter exactly 0.5) and 400 five-class score rows (a quarter with a tied "
        "maximum, the label often on a tied position), fixed per seed in numpy. The reference is the note's "
        "formula in numpy: p > 0.5 -> 1 (0.5 -> 0, the note is silent there; round-half-to-even agrees), first "
        "maximal index on ties. Per framework and kind, the number of examples whose per-example match differs "
        "from the reference, and |built-in mean - reference mean| x 400, must both be below 0.5 (i.e. exact). "
        "TF also records compile(metrics=['accuracy']) and keras.metrics.Accuracy (which counts exact equality "
        "of prediction and label -- not the note's formula)."
    )
    factors = {"cases": ["edge_heavy"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [
        *[f"mismatch/{k}" for k in CHECKS],
        *[f"mean_diff/{k}" for k in CHECKS],
        *[f"mismatch/{k}@edge" for k in CHECKS],
        *[f"compile_mean_diff/{k}" for k in CHECKS],
        "keras_Accuracy/binary_probs",
    ]
    expect = [
        Expect(f"{m}/{k}", {}, None, "equivalent", min_effect=0.5)
        for m in ("mismatch", "mean_diff")
        for k in CHECKS
    ]
    figures = []

    def spec(self, point, profile):
        return spec.TrialSpec(data=spec.Data("digits"), model=spec.MLP(), experiment="accuracy_semantics")
