"""The note asks whether a Dropout layer still helps when the LSTM already has (recurrent) dropout."""

from claims import Claim, Expect, spec

RATES = {"none": (0.0, 0.0), "input": (0.25, 0.0), "recurrent": (0.0, 0.25), "both": (0.25, 0.25)}


class LstmDropoutKinds(Claim):
    name = "lstm-dropout-kinds"
    version = 1
    title = "A separate Dropout layer after an LSTM helps even when the LSTM has input or recurrent dropout"
    section = "E. Regularisation, evaluation, training practice"
    source = (
        "does a dropout layer improve performance even if an lstm layer has dropout or recurrent dropout."
    )
    literature = (
        "Gal & Ghahramani 2016, 'A theoretically grounded application of dropout in recurrent neural networks' "
        "(the same mask at every time step for inputs and the recurrent state = Keras' dropout / "
        "recurrent_dropout). Task: digits read row by row (T = 8), 300 training images so the LSTM (64 units, "
        "256 in full) overfits, Adam; validation split of 20% of the pool."
    )
    literature_effect = (
        "Gal & Ghahramani 2016: the variational (tied-mask) dropout LSTM reached 73.4 test perplexity on Penn "
        "Treebank (abstract; ensemble-free single model), better than untied dropout on inputs/outputs only."
    )
    operationalisation = (
        "LSTM dropout kinds: none, input (0.25 on x_t), recurrent (0.25 on h_{t-1} in the recurrent product), both; "
        "crossed with a separate Dropout layer (rate 0.3) on the LSTM's last state before the head, or none. "
        "Performance is the validation loss after a fixed budget of updates (the catalog's metric). The note's "
        "question holds if the Dropout layer lowers validation loss by at least 0.02 nats where the LSTM already "
        "has dropout (input, recurrent or both; a verdict that depends on the kind is mixed). Also: each LSTM "
        "dropout kind vs none, without the layer, same margin."
    )
    factors = {"lstm_dropout": ["none", "input", "recurrent", "both"], "dropout_layer": [0.0, 0.3]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["val/loss", "val/accuracy", "test/loss", "train/loss"]
    expect = [
        Expect(
            "val/loss",
            {"dropout_layer": 0.3},
            {"dropout_layer": 0.0},
            "less",
            0.02,
            where={"lstm_dropout": ["input", "recurrent", "both"]},
            label="Dropout layer on top of LSTM dropout",
        ),
        *[
            Expect(
                "val/loss",
                {"lstm_dropout": kind},
                {"lstm_dropout": "none"},
                "less",
                0.02,
                where={"dropout_layer": [0.0]},
                label=f"{kind} dropout vs none",
            )
            for kind in ("input", "recurrent", "both")
        ],
    ]
    figures = [("curve", "val/loss")]

    # Quick cost: 67 s torch / 82 s tf wall on the shared 2-core box: 8 arms x 5 seeds is the design.

    def spec(self, point, profile):
        p_in, p_rec = RATES[point["lstm_dropout"]]
        updates = self.by_profile(profile, 4, 150, 3000)
        return spec.TrialSpec(
            data=spec.Data(
                "seq_digits",
                params=(("order", "rows"),),
                n_train=self.by_profile(profile, 100, 300, 600),
                val_fraction=0.2,
            ),
            model=spec.RNN(
                cell="lstm",
                features=8,
                hidden=self.by_profile(profile, 8, 64, 256),
                kernel_init=spec.Init("glorot_uniform"),
                recurrent_init=spec.Init("orthogonal"),
                forget_bias=1.0,
                input_dropout=p_in,
                recurrent_dropout=p_rec,
                output_dropout=point["dropout_layer"],
            ),
            optimizer=spec.Optimizer("adam", lr=0.005),
            training=spec.Training(
                epochs=1000, batch_size=32, max_steps=updates, eval_every=max(updates // 3, 1)
            ),
        )
