"""The note: inverted dropout (Keras) is functionally equivalent to the original dropout."""

from claims import Claim, Expect, spec

PROB = "equiv/test_prob_maxdiff"
LOSS = "equiv/loss_maxdiff"


class InvertedDropoutEquivalence(Claim):
    name = "inverted-dropout-equivalence"
    version = 1
    title = "Inverted dropout (scale in training) equals original dropout (scale at test)"
    section = "E. Regularisation, evaluation, training practice"
    source = (
        "Inverted dropout is functionally equivalent to original dropout (as per your link to Srivastava's "
        "paper), with a nice feature that the network does not use dropout layers at all during test and "
        "prediction."
    )
    literature = (
        "Srivastava et al. 2014 (JMLR), section 4: original dropout multiplies by the mask in training and "
        "scales the outgoing weights by the retain probability q at test. Inverted dropout (Keras, torch) divides "
        "by q in training instead. Net here: 2x64 ReLU MLP, 20% input and 50% hidden dropout, plain SGD "
        "(lr 0.05, batch 20), 200 digits examples, float64."
    )
    operationalisation = (
        "Both forms are written out in each framework and trained side by side on ONE set of Bernoulli masks "
        "drawn in numpy (the `dropout_forms` experiment). They are the same learner up to a reparametrisation: "
        "the original form's kernel reading a dropped layer is W/q, and under SGD its learning rate is lr/q^2 "
        "('rescaled'). Equivalence holds if, for every seed, the largest difference between the two forms' "
        "test-set softmax probabilities and between their per-step training losses is below 1e-6 (float64 "
        "round-off is ~1e-15). As a control that the check can fail, the naive mapping ('same': same init and "
        "lr for both forms) must give test probabilities that differ by more than 0.01."
    )
    factors = {"mapping": ["rescaled", "same"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [PROB, LOSS, "equiv/test_pred_disagree", "inverted/test_accuracy", "original/test_accuracy"]
    expect = [
        Expect(PROB, {"mapping": "rescaled"}, None, "equivalent", min_effect=1e-6),
        Expect(LOSS, {"mapping": "rescaled"}, None, "equivalent", min_effect=1e-6),
        Expect(
            PROB,
            {"mapping": "same"},
            None,
            "greater",
            min_effect=0.01,
            label="control: naive mapping differs",
        ),
    ]
    figures = [("curve", "inverted/batch_loss"), ("curve", "original/batch_loss")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 100, 200, 1000), val_fraction=0.2),
            model=spec.MLP(
                depth=2,
                width=self.by_profile(profile, 32, 64, 256),
                activation="relu",
                init=spec.Init("he_normal"),
                dropout=0.5,
                input_dropout=0.2,
            ),
            optimizer=spec.Optimizer("sgd", lr=0.05),
            training=spec.Training(epochs=self.by_profile(profile, 1, 5, 20), batch_size=20, dtype="float64"),
            experiment="dropout_forms",
            params=(("mapping", point["mapping"]),),
        )
