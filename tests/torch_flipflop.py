"""FixedPointFinder's PyTorch flip-flop example, restated (none of its code): its data, its
16-unit tanh RNN and its training, for the tests (tests/test_cycles_torch.py) and for
benchmarks/fpf_example.py. With torch seed 0 the training gives the example's own
FlipFlop.train's weights bit for bit (checked once against the example, outside the tests)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Training:
    """The settings of FixedPointFinder's examples/torch/run_FlipFlop.py (with FlipFlop.py and
    examples/helper/FlipFlopData.py) for its data and training; `seed` seeds torch, which the
    example leaves unseeded (its weights' initialisation and its DataLoader's shuffling)."""

    bits: int = 3
    trial_steps: int = 64
    pulse_probability: float = 0.5
    data_seed: int = 0  # np.random.RandomState of its data generator
    train_trials: int = 512
    valid_trials: int = 128
    hidden: int = 16
    batch_size: int = 128
    learning_rate: float = 128**-0.5  # 1 / sqrt(batch_size)
    adam_eps: float = 1e-3
    plateau_factor: float = 0.95  # ReduceLROnPlateau on the epoch's mean loss
    plateau_patience: int = 1
    stop_loss: float = 1e-4  # trains until an epoch's mean MSE is below this
    seed: int = 0
    max_epochs: int | None = None  # or stops after this many epochs (not the example's)
    cell: str = "rnn"  # or "gru", "lstm" (not the example's: tests/test_gated_flipflop.py)


def flipflop_trials(rng: np.random.RandomState, trials: int, ex: Training) -> dict:
    """Trials (trials, T, bits) of the flip-flop as the example draws them: a pulse on each bit
    with probability p at each step (always at step 0), of random sign; the target holds the
    sign of the bit's latest pulse. Same draws, in the same order, as its generator."""
    shape = (trials, ex.trial_steps, ex.bits)
    pulses = rng.binomial(1, ex.pulse_probability, shape)
    pulses[:, 0, :] = 1
    inputs = pulses * (2 * rng.binomial(1, 0.5, shape) - 1)
    steps = np.arange(ex.trial_steps)[None, :, None]
    latest = np.maximum.accumulate(np.where(pulses == 1, steps, 0), axis=1)
    targets = np.take_along_axis(inputs, latest, axis=1)
    return {"inputs": inputs.astype(np.float32), "targets": targets.astype(np.float32)}


class FlipFlopNet(torch.nn.Module):
    """The example's model: a learnt initial state, a tanh RNN (batch first) and a linear
    readout, built in the example's order (so one torch seed gives the same weights); with
    `ex.cell` "gru" or "lstm" a GRU or an LSTM (whose learnt initial state is (h, c))."""

    def __init__(self, ex: Training) -> None:
        super().__init__()
        width = 2 * ex.hidden if ex.cell == "lstm" else ex.hidden
        self.initial_state = torch.nn.Parameter(torch.zeros(1, width))
        if ex.cell == "rnn":
            self.rnn = torch.nn.RNN(ex.bits, ex.hidden, nonlinearity="tanh", batch_first=True)
        else:
            layer = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[ex.cell]
            self.rnn = layer(ex.bits, ex.hidden, batch_first=True)
        self.readout = torch.nn.Linear(ex.hidden, ex.bits)

    def forward(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(outputs, hidden states h), each (trials, T, ·)."""
        start = self.initial_state.expand(1, inputs.shape[0], -1)
        if isinstance(self.rnn, torch.nn.LSTM):
            hidden, _ = self.rnn(inputs, tuple(start.chunk(2, dim=2)))
        else:
            hidden, _ = self.rnn(inputs, start)
        return self.readout(hidden), hidden


def train(model: FlipFlopNet, data: dict, ex: Training) -> tuple[int, float]:
    """Adam with the example's settings on shuffled batches, the rate cut on plateaus of the
    epoch's mean loss, until that loss is below `stop_loss` (or `max_epochs` have passed).
    Returns (epochs, last loss)."""
    dataset = torch.utils.data.TensorDataset(
        torch.from_numpy(data["inputs"]), torch.from_numpy(data["targets"])
    )
    batches = torch.utils.data.DataLoader(dataset, shuffle=True, batch_size=ex.batch_size)
    optimiser = torch.optim.Adam(model.parameters(), lr=ex.learning_rate, eps=ex.adam_eps)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimiser, factor=ex.plateau_factor, patience=ex.plateau_patience
    )
    epochs, mean_loss = 0, np.inf
    while mean_loss >= ex.stop_loss and (ex.max_epochs is None or epochs < ex.max_epochs):
        mean_loss = 0.0
        for inputs, targets in batches:
            loss = torch.nn.functional.mse_loss(model(inputs)[0], targets)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            mean_loss += loss.item() / len(batches)
        scheduler.step(mean_loss)
        epochs += 1
    return epochs, mean_loss


def train_on_one_thread(ex: Training) -> tuple[FlipFlopNet, dict, float]:
    """The example's data, and a model trained on it from torch seed `ex.seed` on one thread
    (the same sums, so the same weights, on any machine where MKL_CBWR is set as conftest.py
    sets it): (model, validation trials, the last epoch's mean loss)."""
    rng = np.random.RandomState(ex.data_seed)
    data = flipflop_trials(rng, ex.train_trials, ex)
    valid = flipflop_trials(rng, ex.valid_trials, ex)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng():
            torch.manual_seed(ex.seed)
            model = FlipFlopNet(ex)
            _, loss = train(model, data, ex)
    finally:
        torch.set_num_threads(threads)
    return model, valid, loss
