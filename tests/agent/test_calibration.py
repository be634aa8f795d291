"""The calibration fitted on held-out calls: it recovers a known miscalibration, and the exported ONNX
graph computes exactly what the trained network computes (calibration and the skip of the lexical and
sequence scores included)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="training needs the [train] extra")

from salesrl.agent.training.export import OodStats, build_graph  # noqa: E402
from salesrl.agent.training.network import IDENTITY_CALIBRATION, EnsembleNet, NetConfig  # noqa: E402
from salesrl.agent.training.states import StateTable  # noqa: E402
from salesrl.agent.training.td import fit_calibration  # noqa: E402

DIM = 12
POSITION_COL = 3
SKIP_COL = 5


def _net(seed: int = 0, members: int = 1) -> EnsembleNet:
    rng = np.random.default_rng(seed)
    net = EnsembleNet(NetConfig(DIM, 2, members=members, hidden1=8, hidden2=4, dropout=0.0, position_col=POSITION_COL,
                                skip_col=SKIP_COL),
                      np.zeros(DIM, np.float32), np.ones(DIM, np.float32), seed=seed)
    with torch.no_grad():
        net.w3.copy_(torch.from_numpy(rng.normal(size=net.w3.shape).astype(np.float32)))
    return net.eval()


def _one_turn_table(states: np.ndarray, outcomes: np.ndarray) -> StateTable:
    n = len(states)
    return StateTable(states, np.arange(n), np.ones(n, dtype=np.int64), outcomes.astype(np.float32),
                      np.full(n, -1), np.full(n, np.nan, np.float32), slice(DIM, DIM), POSITION_COL, SKIP_COL)


TURNS_U = (0.19, 0.56, 0.91)  # the log turn index after turns 1, 7 and 28


def _scale_and_shift(net: EnsembleNet, u: float) -> tuple[float, float]:
    a0, a1, a2, b0, b1, b2 = net.calibration.tolist()
    return a0 + a1 * u + a2 * u * u, b0 + b1 * u + b2 * u * u


def _states(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random states whose turn-index column lies in [0, 1], as the log turn index does."""
    states = rng.normal(size=(n, DIM)).astype(np.float32)
    states[:, POSITION_COL] = rng.random(n)
    return states


def _net_states_and_logits(rng: np.random.Generator, n: int) -> tuple[EnsembleNet, np.ndarray, np.ndarray]:
    """A network, `n` random states and the network's mean raw logit of each."""
    net, states = _net(), _states(rng, n)
    with torch.no_grad():
        z = net.raw_logits(torch.from_numpy(states))[:, :, 0].mean(dim=0).numpy()
    return net, states, z


def test_calibration_recovers_a_known_overconfidence_that_changes_along_the_call():
    rng = np.random.default_rng(1)
    net, states, z = _net_states_and_logits(rng, 20000)
    # The truth is half as sure as the network at the start, surer mid-call, and shifted early on.
    u = states[:, POSITION_COL]

    def scale(v):
        return 0.5 + 0.8 * v - 0.6 * v * v

    def shift(v):
        return 0.3 - 0.4 * v * v

    truth = 1 / (1 + np.exp(-(z * scale(u) + shift(u))))
    table = _one_turn_table(states, (rng.random(20000) < truth).astype(np.float32))
    fit_calibration(net, table, np.arange(20000), np.ones(20000, dtype=np.float32), table.outcomes)
    for v in TURNS_U:
        assert _scale_and_shift(net, v) == pytest.approx((scale(v), shift(v)), abs=0.1)


def test_calibration_fits_soft_targets_as_probabilities():
    """Against the probabilities themselves (the expected outcomes of synthetic calls) rather than coin flips
    drawn from them, the same miscalibration is recovered far more tightly from far fewer rows."""
    rng = np.random.default_rng(5)
    net, states, z = _net_states_and_logits(rng, 2000)
    u = states[:, POSITION_COL]
    truth = (1 / (1 + np.exp(-(z * (0.5 + 0.3 * u) + 0.2)))).astype(np.float32)
    table = _one_turn_table(states, (rng.random(2000) < truth).astype(np.float32))
    fit_calibration(net, table, np.arange(2000), np.ones(2000, dtype=np.float32), truth)
    for v in TURNS_U:
        assert _scale_and_shift(net, v) == pytest.approx((0.5 + 0.3 * v, 0.2), abs=0.02)


def test_calibration_stays_near_identity_for_an_already_calibrated_network():
    rng = np.random.default_rng(2)
    net = _net()
    states = _states(rng, 10000)
    with torch.no_grad():
        p = net.probabilities(states)[:, :, 0].mean(axis=0)
    table = _one_turn_table(states, (rng.random(10000) < p).astype(np.float32))  # already calibrated
    fit_calibration(net, table, np.arange(10000), np.ones(10000, dtype=np.float32), table.outcomes)
    for v in TURNS_U:
        assert _scale_and_shift(net, v) == pytest.approx((1.0, 0.0), abs=0.15)


def test_exported_graph_computes_what_the_network_computes():
    import onnxruntime as ort

    net = _net(3, members=3)
    with torch.no_grad():
        net.calibration.copy_(torch.tensor([0.7, 0.4, -0.3, -0.2, 0.5, 0.6]))
        net.skip_weight.copy_(torch.tensor([[0.5, -1.0], [1.0, 0.3], [2.0, 0.7]]).reshape(3, 2, 1))
    states = np.random.default_rng(3).normal(size=(50, DIM)).astype(np.float32)
    ood = OodStats.fit(states, (0, DIM), k=4)
    session = ort.InferenceSession(build_graph(net.weights(), ood).SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    probabilities, spread, _ = session.run(None, {"state": states, "chain": np.array(False)})
    expected = net.probabilities(states)
    np.testing.assert_allclose(probabilities, expected.mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(spread, expected.std(axis=0), atol=1e-5)


def test_calibration_fits_the_rows_by_their_share():
    """With call weighting, the calibration is fitted to what each call weighs: rows of share 0 must not
    pull it. Half the rows follow one miscalibration, half (share 0) the opposite one."""
    rng = np.random.default_rng(4)
    net = _net()
    states = _states(rng, 20000)
    states[:, POSITION_COL] = 0.5
    with torch.no_grad():
        z = net.raw_logits(torch.from_numpy(states))[:, :, 0].mean(dim=0).numpy()
    counted = np.arange(20000) < 10000
    scale = np.where(counted, 0.5, 2.0)
    truth = 1 / (1 + np.exp(-z * scale))
    table = _one_turn_table(states, (rng.random(20000) < truth).astype(np.float32))
    fit_calibration(net, table, np.arange(20000), counted.astype(np.float32), table.outcomes)
    assert _scale_and_shift(net, 0.5) == pytest.approx((0.5, 0.0), abs=0.1)


def test_no_calibration_is_fitted_to_held_out_calls_that_all_share_one_outcome():
    from salesrl.agent.training.td import can_calibrate

    assert can_calibrate(np.array([0, 1] * 50))
    assert not can_calibrate(np.array([0, 1] * 49))  # too few calls
    assert not can_calibrate(np.array([1] * 9 + [0] * 491))  # a team with few won deals: 9 in the held-out part
    assert not can_calibrate(np.zeros(500))


def test_training_leaves_the_calibration_out_when_every_held_out_call_was_lost():
    from salesrl.agent.training.td import TDConfig, train_td

    rng = np.random.default_rng(6)
    n_conv, turns = 400, 2
    states = _states(rng, n_conv * turns)
    outcomes = (rng.random(n_conv) < 0.5).astype(np.float32)
    val = np.arange(300, 400)
    outcomes[val] = 0.0
    table = StateTable(states, np.arange(n_conv) * turns, np.full(n_conv, turns), outcomes, np.full(len(states), -1),
                       np.full(len(states), np.nan, np.float32), slice(DIM - 3, DIM), POSITION_COL, SKIP_COL)
    cfg = TDConfig(lam=0.9, members=2, target="outcome", epochs=2, hidden1=8, hidden2=4)
    net, history = train_td(table, np.arange(300), val, cfg)
    assert history.calibration == {}
    assert net.calibration.tolist() == list(IDENTITY_CALIBRATION)


def test_td_starts_from_the_skip_score_that_does_better_on_held_out_calls():
    from salesrl.agent.training.td import skip_start

    rng = np.random.default_rng(5)
    outcomes = (rng.random(400) < 0.5).astype(np.float32)
    states = rng.normal(size=(400, DIM)).astype(np.float32)
    states[:, SKIP_COL + 1] = np.where(outcomes == 1, 2.0, -2.0)  # the sequence score knows the outcome
    table = _one_turn_table(states, outcomes)
    assert skip_start(table, np.arange(400), "outcome") == (0.0, 1.0)
    states[:, SKIP_COL], states[:, SKIP_COL + 1] = states[:, SKIP_COL + 1], 0.0  # now the lexical score does
    assert skip_start(table, np.arange(400), "outcome") == (1.0, 0.0)
    assert skip_start(table, np.arange(0), "outcome") == (1.0, 0.0)


def test_without_calibration_the_policy_keeps_the_identity_and_reports_its_out_of_bag_probabilities():
    # The head is fitted on these numbers (agent.training.selection.chosen_head): a held-out call's must be the
    # whole ensemble's, a training call's only those of the members that did not train on it.
    from salesrl.agent.training.td import TDConfig, train_td

    rng = np.random.default_rng(7)
    n_conv, turns = 400, 2
    states = _states(rng, n_conv * turns)
    outcomes = (rng.random(n_conv) < 0.5).astype(np.float32)
    table = StateTable(states, np.arange(n_conv) * turns, np.full(n_conv, turns), outcomes, np.full(len(states), -1),
                       np.full(len(states), np.nan, np.float32), slice(DIM - 3, DIM), POSITION_COL, SKIP_COL)
    cfg = TDConfig(lam=0.9, members=3, target="outcome", epochs=2, hidden1=8, hidden2=4, calibrate=False)
    train, val = np.arange(300), np.arange(300, 400)
    net, history = train_td(table, train, val, cfg)
    assert net.calibration.tolist() == list(IDENTITY_CALIBRATION)  # 100 held-out calls would have calibrated it
    every_member = net.probabilities(table.states)[:, :, 0].mean(axis=0)
    held_out = table.conv_of_row >= 300
    assert history.out_of_bag.shape == (len(states),)
    assert np.allclose(history.out_of_bag[held_out], every_member[held_out], atol=1e-6)
    assert not np.allclose(history.out_of_bag[~held_out], every_member[~held_out], atol=1e-3)
