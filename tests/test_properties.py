"""Property-based tests (hypothesis): random shapes and values never crash the validation layer
or the core, and the invariants hold: P symmetric positive definite, q >= 0, a minimiser never
ends above where it started, the core equal to the reference."""

from __future__ import annotations

import numpy as np
import rnndyn as rd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rnndyn import reference

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # seeded, like the rest
    suppress_health_check=[HealthCheck.too_slow],
)

sizes = st.integers(min_value=1, max_value=12)
seeds = st.integers(min_value=0, max_value=2**32 - 1)
finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)
anything = st.floats(allow_nan=True, allow_infinity=True, width=64)


@SETTINGS
@given(
    n=sizes,
    inputs=st.integers(0, 3),
    outputs=st.integers(1, 3),
    data=hnp.arrays(
        np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=6), elements=anything
    ),
)
def test_run_accepts_or_refuses_any_array_cleanly(n, inputs, outputs, data):
    net = rd.ESN(n, inputs, outputs, seed=0)
    before = net.copy()
    try:
        result = net.run(data)
    except (ValueError, TypeError) as error:
        assert str(error)  # a message
        assert net == before  # and nothing changed
        return
    assert data.ndim == 2 and data.shape[1] == inputs and np.all(np.isfinite(data))
    assert result.states.shape == (data.shape[0], n) and np.all(np.isfinite(result.states))


@SETTINGS
@given(
    value=st.one_of(
        st.none(),
        st.booleans(),
        st.text(max_size=3),
        finite,
        st.integers(-5, 5),
        st.lists(finite, max_size=3),
    )
)
def test_scalar_arguments_are_checked_not_trusted(value):
    for call in (
        lambda: rd.ESN(8, 1, 1, tau=value),
        lambda: rd.ESN(8, 1, 1, g=value),
        lambda: rd.tasks.FlipFlop(value),
        lambda: rd.PCA(value),
    ):
        try:
            call()
        except (ValueError, TypeError) as error:
            assert str(error)


@SETTINGS
@given(
    n=st.integers(2, 10),
    steps=st.integers(1, 60),
    train_every=st.integers(1, 4),
    alpha=st.floats(1e-2, 1e2),
    seed=seeds,
    n_jobs=st.integers(1, 2),
)
def test_force_keeps_P_symmetric_positive_definite(n, steps, train_every, alpha, seed, n_jobs):
    net = rd.ESN(n, 1, 1, seed=seed)
    inputs, targets = rd.tasks.FlipFlop(1, seed=seed).sample(steps)
    history = rd.train_force(
        net, inputs, targets, train_every=train_every, alpha=alpha, n_jobs=n_jobs
    )
    P = history.inverse_correlation
    np.testing.assert_array_equal(P, P.T)
    assert np.all(np.linalg.eigvalsh(P) > 0)
    # the core against the reference implementation, same numbers
    net0 = rd.ESN(n, 1, 1, seed=seed)
    expected = reference.run_network(
        net0.recurrent,
        net0.feedback,
        net0.input,
        net0.readout,
        net0.state,
        inputs,
        targets,
        dt_over_tau=0.1,
        train_every=train_every,
        alpha=alpha,
    )
    np.testing.assert_allclose(net.readout, expected["readout"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(P, expected["P"], rtol=1e-8, atol=1e-10 / alpha)


@SETTINGS
@given(
    n=st.integers(1, 10),
    seed=seeds,
    g=st.floats(0.2, 2.5),
    count=st.integers(1, 5),
    method=st.sampled_from(["newton", "trust-ncg", "lm", "cg", "adam"]),
)
def test_minimisers_never_end_above_their_start(n, seed, g, count, method):
    net = rd.ESN(n, 1, 1, g=g, bias=True, seed=seed)
    starts = np.random.default_rng(seed).normal(0, 1.5, (count, n))
    core = net.core_system()
    q_start = 0.5 * np.sum(core.velocity(starts) ** 2, axis=1)
    fps = rd.find_fixed_points(
        net, starts, method=method, max_iter=200, kinds=rd.fixedpoints.KINDS, tol_unique=0.0
    )
    assert np.all(fps.q >= 0)
    q_end = 0.5 * np.sum(core.velocity(fps.points) ** 2, axis=1)
    np.testing.assert_allclose(q_end, fps.q, rtol=1e-12, atol=1e-24)  # F to a rounding
    # each unique point is where some start ended: no lower than the least start's q
    assert fps.q.min() <= q_start.min() * (1 + 1e-12)
    assert np.all(np.isfinite(fps.points))


@SETTINGS
@given(n=st.integers(1, 10), seed=seeds, activation=st.sampled_from(["tanh", "logistic", "relu"]))
def test_core_speed_and_jacobian_match_the_reference(n, seed, activation):
    rng = np.random.default_rng(seed)
    W = rng.normal(0, 1.5 / np.sqrt(n), (n, n))
    c = rng.normal(0, 0.5, n)
    X = rng.normal(0, 2, (3, n))
    system = rd.RNN(W, bias=c, activation=activation).core_system()
    for x, F in zip(X, system.velocity(X), strict=True):
        np.testing.assert_allclose(
            F, reference.rnn_velocity(x, W, c, activation), rtol=1e-12, atol=1e-14
        )
        np.testing.assert_allclose(
            system.jacobian(x), reference.rnn_jacobian(x, W, c, activation), rtol=1e-12, atol=1e-14
        )
        assert 0.5 * F @ F >= 0


@SETTINGS
@given(
    points=hnp.arrays(
        np.float64, st.tuples(st.integers(2, 30), st.integers(1, 4)), elements=finite
    ),
    n_components=st.integers(1, 4),
)
def test_pca_round_trip_on_its_own_components(points, n_components):
    assume(n_components <= min(points.shape))
    pca = rd.PCA(n_components).fit(points)
    scores = pca.transform(points)
    back = pca.transform(pca.inverse_transform(scores))
    np.testing.assert_allclose(back, scores, atol=1e-6 * (1 + np.abs(points).max()))
