"""rnndyn.plot: what each function draws (lines, markers, colours, labels), on small data."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import rnndyn as rd  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection, PolyCollection  # noqa: E402
from matplotlib.colors import LogNorm, to_rgba  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# -- data -----------------------------------------------------------------------------------------
# the paper's 2-D example (section 3.1): saddle at the origin, stable nodes at ±(1, 1/2)
def _toy_velocity(v: np.ndarray) -> np.ndarray:
    assert v.shape == (2,)  # FunctionSystem is evaluated point by point
    return np.array([(1 - v[0] ** 2) * v[1], v[0] / 2 - v[1]])


def _toy_jacobian(v: np.ndarray) -> np.ndarray:
    return np.array([[-2 * v[0] * v[1], 1 - v[0] ** 2], [0.5, -1.0]])


TOY = rd.FunctionSystem(_toy_velocity, _toy_jacobian)


@pytest.fixture(scope="module")
def toy_points() -> rd.FixedPoints:
    starts = np.random.default_rng(0).uniform(-2, 2, size=(30, 2))
    fps = rd.find_fixed_points(TOY, starts)
    assert len(fps) == 3
    return fps


def _fixed_points(unstable_dims, kinds, eigenvalues, right, points=None, discrete_time=False):
    """A FixedPoints built by hand: M points in N dimensions (N from `eigenvalues` (M, N))."""
    m, n = eigenvalues.shape
    dims = np.array(unstable_dims)
    points = np.random.default_rng(5).normal(size=(m, n)) if points is None else points
    return rd.FixedPoints(
        points=points,
        q=np.zeros(m),
        grad_norm=np.zeros(m),
        iterations=np.zeros(m, int),
        stop_reason=np.full(m, "q_tolerance"),
        kind=np.array(kinds),
        count=np.ones(m, int),
        is_outlier=np.zeros(m, bool),
        eigenvalues=eigenvalues,
        unstable_dims=dims,
        is_stable=dims == 0,
        label=np.array([f"{k}-saddle" if k else "stable node" for k in dims]),
        unstable_right=right,
        unstable_left=right.conj(),
        discrete_time=discrete_time,
    )


N = 5
# one stable point, a 1-saddle, a slow 2-saddle with a complex pair, an unconverged point and
# a 3-saddle
KINDS = ["fixed", "fixed", "slow", "unconverged", "fixed"]
UNSTABLE = [0, 1, 2, 0, 3]


@pytest.fixture
def hand_points() -> rd.FixedPoints:
    rng = np.random.default_rng(1)
    eigenvalues = np.full((5, N), -1.0 + 0j)
    right = np.zeros((5, N, 3), dtype=complex)
    for i, k in enumerate(UNSTABLE):
        eigenvalues[i, :k] = 0.5
        right[i, :, :k] = rng.normal(size=(N, k))
    eigenvalues[2, :2] = [0.5 + 1j, 0.5 - 1j]
    pair = rng.normal(size=N) + 1j * rng.normal(size=N)
    right[2, :, :2] = np.column_stack([pair, pair.conj()])
    eigenvalues[4, 4] = np.nan  # rows are NaN-padded
    return _fixed_points(UNSTABLE, KINDS, eigenvalues, right)


@pytest.fixture
def trajectories() -> np.ndarray:
    """Three trajectories (3, 40, N)."""
    return np.cumsum(np.random.default_rng(2).normal(size=(3, 40, N)), axis=1)


def _labelled(ax, kind=PathCollection) -> dict[str, object]:
    return {c.get_label(): c for c in ax.collections if isinstance(c, kind)}


def _legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_import_rnndyn_leaves_matplotlib_alone():
    code = "import sys, rnndyn; rnndyn.plot.phase_portrait; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# -- phase_portrait -------------------------------------------------------------------------------
def test_phase_portrait_2d_draws_every_part(hand_points, trajectories):
    pca = rd.PCA(2).fit(trajectories.reshape(-1, N))
    starts = trajectories[0, ::10]
    ax = rd.plot.phase_portrait(
        pca, trajectories, hand_points, starts, segment_length=0.3, title="toy"
    )
    assert ax.name != "3d"
    assert len(ax.lines) == 3
    np.testing.assert_allclose(ax.lines[1].get_xydata(), pca.transform(trajectories[1]))
    markers = _labelled(ax)
    assert list(markers) == [
        "starting states",
        "stable",
        "1-saddle",
        "≥3-saddle",
        "2-saddle (slow)",
    ]  # the unconverged point is left out
    np.testing.assert_allclose(markers["starting states"].get_offsets(), pca.transform(starts))
    for label, index, colour in [
        ("stable", 0, "black"),
        ("1-saddle", 1, "tab:red"),
        ("2-saddle (slow)", 2, "tab:orange"),
        ("≥3-saddle", 4, "tab:purple"),
    ]:
        collection = markers[label]
        np.testing.assert_allclose(
            collection.get_offsets(), pca.transform(hand_points.points[[index]])
        )
        np.testing.assert_allclose(collection.get_edgecolors(), [to_rgba(colour)])
        # stable points filled, unstable ones open
        assert len(collection.get_facecolors()) == (1 if index == 0 else 0)
    assert _legend_texts(ax) == ["trajectories", *markers]
    assert ax.get_xlabel() == f"PC1 ({100 * pca.explained_variance_ratio_[0]:.1f}% var)"
    assert ax.get_ylabel().startswith("PC2 (")
    assert ax.get_title() == "toy"


def test_phase_portrait_segments_follow_unstable_vectors(hand_points, trajectories):
    pca = rd.PCA(2).fit(trajectories.reshape(-1, N))
    ax = rd.plot.phase_portrait(pca, fixed_points=hand_points, segment_length=0.3)
    (segments,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    # 1 + 2 + 3 unstable directions of the converged saddles, in point order
    vectors = hand_points.unstable_right
    pair = vectors[2, :, 0]
    directions = [(1, vectors[1, :, 0].real), (2, pair.real), (2, pair.imag)]
    directions += [(4, vectors[4, :, j].real) for j in range(3)]
    expected = [
        pca.transform(hand_points.points[i] + 0.3 * np.outer([-1, 1], d / np.linalg.norm(d)))
        for i, d in directions
    ]
    np.testing.assert_allclose(np.array(segments.get_segments()), np.array(expected), atol=1e-12)
    colours = ["tab:red", "tab:orange", "tab:orange"] + ["tab:purple"] * 3
    np.testing.assert_allclose(segments.get_colors(), [to_rgba(c) for c in colours])
    ax = rd.plot.phase_portrait(pca, fixed_points=hand_points, saddle_segments=False)
    assert not any(isinstance(c, LineCollection) for c in ax.collections)


def test_phase_portrait_3d(hand_points, trajectories):
    pca = rd.PCA(3).fit(trajectories.reshape(-1, N))
    ax = rd.plot.phase_portrait(pca, list(trajectories[:2]), hand_points, legend=False)
    assert ax.name == "3d"
    assert len(ax.lines) == 2
    x, y, z = ax.lines[0].get_data_3d()
    np.testing.assert_allclose(np.column_stack([x, y, z]), pca.transform(trajectories[0]))
    assert ax.get_zlabel().startswith("PC3 (")
    assert [len(c.get_offsets()) for c in _labelled(ax).values()] == [1, 1, 1, 1]
    assert ax.get_legend() is None


def test_phase_portrait_bad_input(hand_points, trajectories):
    states = trajectories.reshape(-1, N)
    with pytest.raises(ValueError, match="at least 2 components"):
        rd.plot.phase_portrait(rd.PCA(1).fit(states))
    with pytest.raises(ValueError, match="not fitted"):
        rd.plot.phase_portrait(rd.PCA(3))
    with pytest.raises(TypeError, match="pca must be"):
        rd.plot.phase_portrait(states)
    pca = rd.PCA(3).fit(states[:, :4])
    with pytest.raises(ValueError, match="fixed_points must have width N = 4"):
        rd.plot.phase_portrait(pca, fixed_points=hand_points)
    with pytest.raises(ValueError, match=r"trajectories\[0\] must have shape"):
        rd.plot.phase_portrait(pca, states)
    with pytest.raises(ValueError, match="ax must be 3-D axes"):
        rd.plot.phase_portrait(pca, ax=plt.figure().add_subplot())


# -- the skeleton ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cube():
    """The decoupled 3-cube (tests/test_skeleton.py): its system, skeleton and the signs of
    the strong units as the attractors' outputs (A, 3)."""
    from test_skeleton import UNITS, decoupled

    system, strong = decoupled(3, discrete=False)
    sk = rd.skeleton(system, np.random.default_rng(1).normal(0, 1.5, (64, UNITS)), n_jobs=2)
    return system, sk, np.sign(sk.attractor_states[:, strong])


def test_phase_portrait_draws_each_saddles_branches(cube):
    system, sk, _ = cube
    pca = rd.PCA(3).fit(sk.attractor_states)
    ax = rd.plot.phase_portrait(pca, fixed_points=sk.fixed_points, skeleton=sk, system=system)
    branches = rd.skeleton_branches(system, sk)
    assert len(ax.lines) == 24 == len(branches)
    for line, path in zip(ax.lines, branches, strict=True):
        x, y, z = line.get_data_3d()
        np.testing.assert_allclose(np.column_stack([x, y, z]), pca.transform(path))
        assert to_rgba(line.get_color()) == to_rgba("tab:red")
    assert "1-saddle branches" in _legend_texts(ax)
    with pytest.raises(ValueError, match="skeleton and system go together"):
        rd.plot.phase_portrait(pca, skeleton=sk)
    with pytest.raises(ValueError, match="skeleton and system go together"):
        rd.plot.phase_portrait(pca, system=system)


def _graph_parts(ax, attractors="memory"):
    """The `attractors`' and saddles' marker collections, the lines' segments, the labels."""
    markers = _labelled(ax)
    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    return markers[attractors], markers["1-saddle"], np.array(lines.get_segments()), ax.texts


def test_skeleton_graph_draws_the_cube_by_its_outputs(cube):
    _, sk, outputs = cube
    ax = rd.plot.skeleton_graph(sk, outputs)
    attractors, saddles, segments, texts = _graph_parts(ax)
    # 8 memories at the oblique projection of their outputs, labelled by their bits
    places = outputs @ rd.plot.skeleton.OBLIQUE
    np.testing.assert_allclose(attractors.get_offsets(), places)
    assert len({tuple(np.round(p, 9)) for p in places}) == 8
    expected = ["".join("+" if v > 0 else "-" for v in row) for row in outputs]
    assert [t.get_text() for t in texts] == expected and len(set(expected)) == 8
    np.testing.assert_allclose([t.xy for t in texts], places)
    # 12 saddles halfway along the cube's edges, two lines each to its attractors
    assert len(saddles.get_offsets()) == 12 and segments.shape == (24, 2, 2)
    for e, (_, a, b) in enumerate(sk.edges):
        middle = 0.5 * (places[a] + places[b])
        np.testing.assert_allclose(saddles.get_offsets()[e], middle)
        np.testing.assert_allclose(segments[2 * e : 2 * e + 2, 0], [middle, middle])
        np.testing.assert_allclose(segments[2 * e : 2 * e + 2, 1], places[[a, b]])
    # the 12 edges and their midpoints all differ on the page
    assert len({tuple(np.round(m, 9)) for m in saddles.get_offsets()}) == 12
    np.testing.assert_allclose(saddles.get_edgecolors(), [to_rgba("tab:red")])
    assert len(saddles.get_facecolors()) == 0  # open, like every saddle
    np.testing.assert_allclose(attractors.get_facecolors(), [to_rgba("black")])
    assert _legend_texts(ax) == ["1-saddle", "memory"]


def test_skeleton_graph_draws_saddle_cycles(cube):
    # the cube's edges given as a map's saddle cycles: open diamonds halfway, dashed lines
    _, sk, outputs = cube
    as_cycles = rd.Skeleton(**{**vars(sk), "edges": sk.edges[:0], "cycle_edges": sk.edges})
    ax = rd.plot.skeleton_graph(as_cycles, outputs)
    places = outputs @ rd.plot.skeleton.OBLIQUE
    diamonds = _labelled(ax)["saddle cycle"]
    middles = [0.5 * (places[a] + places[b]) for _, a, b in sk.edges]
    np.testing.assert_allclose(diamonds.get_offsets(), middles)
    dashed = [c for c in ax.collections if isinstance(c, LineCollection)][-1]
    assert len(dashed.get_segments()) == 24 and dashed.get_linestyle()[0][1] is not None
    assert "saddle cycle" in _legend_texts(ax)


def test_skeleton_graph_places_by_two_outputs_by_pca_or_by_states(cube):
    _, sk, outputs = cube
    two = rd.plot.skeleton_graph(sk, outputs[:, :2], labels=False)
    np.testing.assert_allclose(_graph_parts(two)[0].get_offsets(), outputs[:, :2])
    assert len(_graph_parts(two)[3]) == 0 and two.get_xlabel() == "z1"
    # more than 3 outputs: their first two principal components (up to sign), here the
    # first two outputs (uncorrelated over the corners, the largest variances); off the
    # corners of the output cube, none is a memory
    scaled = outputs * [1.0, 0.8, 0.5]
    ax = rd.plot.skeleton_graph(sk, np.column_stack([scaled, 0.1 * scaled[:, 2]]))
    places = _graph_parts(ax, "other attractor")[0].get_offsets()
    np.testing.assert_allclose(np.abs(places), np.abs(scaled[:, :2]), atol=1e-12)
    assert ax.get_xlabel() == "PC1 of the outputs"
    # no outputs: the attractor states' first two principal components, labelled by index
    ax = rd.plot.skeleton_graph(sk)
    states = sk.attractor_states - sk.attractor_states.mean(axis=0)
    spread = np.linalg.svd(states, compute_uv=False)[:2]
    places = np.asarray(_graph_parts(ax, "attractor")[0].get_offsets())
    np.testing.assert_allclose(np.linalg.norm(places, axis=0), spread)
    assert [t.get_text() for t in ax.texts] == [str(a) for a in range(8)]


def test_skeleton_graph_tells_memories_from_other_attractors(cube):
    _, sk, outputs = cube
    z = outputs.copy()
    z[2] = [0.25, -1.13, -0.77]  # a spurious attractor off the cube (seed 0's, README) ...
    z[5] = -z[2]  # ... and its mirror image
    z[6] = 0.95 * z[7]  # two memories at one corner
    bits = rd.dynamics.bit_patterns(z, tolerance=0.2)
    assert (bits[2], bits[5]) == ("?-?", "?+?") and bits[6] == bits[7] and "?" not in bits[6]
    ax = rd.plot.skeleton_graph(sk, z)
    memories, _, _, texts = _graph_parts(ax)
    others = _labelled(ax)["other attractor"]
    expected = [*rd.dynamics.bit_patterns(z)]
    expected[2], expected[5] = "?-? #2", "?+? #5"
    expected[6], expected[7] = f"{bits[6]} #6", f"{bits[7]} #7"
    labels = [t.get_text() for t in texts]
    assert labels == expected and len(set(labels)) == 8
    # the memories filled black, the others open grey (their labels too)
    places = z @ rd.plot.skeleton.OBLIQUE
    is_memory = np.ones(8, bool)
    is_memory[[2, 5]] = False
    np.testing.assert_allclose(memories.get_offsets(), places[is_memory])
    np.testing.assert_allclose(others.get_offsets(), places[~is_memory])
    np.testing.assert_allclose(memories.get_facecolors(), [to_rgba("black")])
    assert len(others.get_facecolors()) == 0
    np.testing.assert_allclose(others.get_edgecolors(), [to_rgba("0.5")])
    assert [to_rgba(t.get_color()) == to_rgba("0.5") for t in texts] == list(~is_memory)
    assert _legend_texts(ax) == ["1-saddle", "memory", "other attractor"]
    # a wider tolerance takes the spurious pair for memories of their signs
    wide = rd.plot.skeleton_graph(sk, z, tolerance=0.8)
    assert wide.texts[2].get_text().startswith("+--") and "other attractor" not in _labelled(wide)


def test_skeleton_graph_draws_a_branch_to_nowhere_as_a_stub(cube):
    _, sk, outputs = cube
    edges = sk.edges.copy()
    edges[0, 2] = -1  # the first saddle's second branch settles nowhere
    edges[1, 1:] = -1  # the second saddle's both: left out
    ax = rd.plot.skeleton_graph(rd.Skeleton(**{**vars(sk), "edges": edges}), outputs[:, :2])
    _, saddles, segments, _ = _graph_parts(ax)
    assert len(saddles.get_offsets()) == 11 and len(segments) == 22
    a = edges[0, 1]
    saddle, (to_a, stub) = saddles.get_offsets()[0], segments[:2]
    np.testing.assert_allclose(to_a, [saddle, outputs[a, :2]])
    np.testing.assert_allclose(stub[0], saddle)
    # the saddle and its stub point away from the middle of the layout, one share each
    away = outputs[a, :2] / np.linalg.norm(outputs[a, :2])
    np.testing.assert_allclose(saddle - outputs[a, :2], 0.15 * 2 * away)
    np.testing.assert_allclose(stub[1] - saddle, 0.15 * 2 * away)


def test_skeleton_graph_bad_input(cube):
    _, sk, outputs = cube
    with pytest.raises(TypeError, match="skeleton must be a Skeleton"):
        rd.plot.skeleton_graph(sk.fixed_points, outputs)
    with pytest.raises(ValueError, match="outputs must have shape"):
        rd.plot.skeleton_graph(sk, outputs[:5])
    with pytest.raises(ValueError, match="outputs must have at least one column"):
        rd.plot.skeleton_graph(sk, outputs[:, :0])
    with pytest.raises(ValueError, match="ax must be 2-D axes"):
        rd.plot.skeleton_graph(sk, outputs, ax=plt.figure().add_subplot(projection="3d"))


# -- training -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained():
    task = rd.tasks.FlipFlop(3, seed=0)
    net = rd.ESN(60, 3, 3, seed=0)
    inputs, targets = task.sample(600)
    history = rd.train_force(net, inputs, targets, snapshot_every=100)
    return history, targets, net.run(task.sample(300))


def test_training_panels(trained):
    history, targets, test = trained
    fig = rd.plot.training(history, test, targets, window=200)
    outputs_ax, test_ax, mse_ax, readout_ax = fig.axes
    assert [ax.get_title()[:3] for ax in fig.axes] == ["(a)", "(b)", "(c)", "(d)"]
    # (a): 3 target lines, then 3 output lines, over the last 200 steps, channels apart
    assert len(outputs_ax.lines) == 6
    np.testing.assert_array_equal(outputs_ax.lines[3].get_xdata(), np.arange(400, 600))
    shifts = [
        line.get_ydata() - history.outputs[400:, k] for k, line in enumerate(outputs_ax.lines[3:])
    ]
    shifts += [line.get_ydata() - targets[400:, k] for k, line in enumerate(outputs_ax.lines[:3])]
    offsets = [s[0] for s in shifts[:3]]
    np.testing.assert_allclose(shifts, np.repeat(offsets * 2, 200).reshape(6, 200))
    channels = [line.get_ydata() for line in outputs_ax.lines[:3]]
    assert all(channels[k].min() > channels[k + 1].max() for k in range(2))
    assert _legend_texts(outputs_ax) == ["target", "output"]
    assert [t.get_text() for t in outputs_ax.get_yticklabels()] == ["z1", "z2", "z3"]
    assert outputs_ax.get_xlabel() == "training step"
    # (b): the test run's last 200 steps
    assert len(test_ax.lines) == 6
    np.testing.assert_array_equal(test_ax.lines[3].get_xdata(), np.arange(100, 300))
    assert test_ax.get_xlabel() == "test step"
    # (c), (d)
    assert mse_ax.get_yscale() == "log"
    np.testing.assert_array_equal(mse_ax.lines[0].get_ydata(), history.running_mse)
    assert mse_ax.get_ylabel() == "MSE (trailing 100 steps)"
    np.testing.assert_array_equal(readout_ax.lines[0].get_xdata(), np.arange(0, 700, 100))
    np.testing.assert_array_equal(readout_ax.lines[0].get_ydata(), history.mean_abs_readout)
    assert readout_ax.get_ylabel() == "mean |W_o|"


def test_training_without_test_or_targets(trained):
    history, targets, _ = trained
    fig = plt.figure()
    assert rd.plot.training(history, fig=fig) is fig
    outputs_ax, test_ax = fig.axes[:2]
    assert len(outputs_ax.lines) == 3
    assert _legend_texts(outputs_ax) == ["output"]
    assert [t.get_text() for t in test_ax.texts] == ["no test run given"]
    assert not test_ax.axison
    with pytest.raises(ValueError, match="train_targets must have shape"):
        rd.plot.training(history, train_targets=targets[:-1])
    with pytest.raises(TypeError, match="history must be a TrainingHistory"):
        rd.plot.training(targets)


# -- speed_landscape ------------------------------------------------------------------------------
def _contours(ax) -> ContourSet:
    (contours,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    return contours


def test_speed_landscape_two_dimensional(toy_points):
    ax = rd.plot.speed_landscape(TOY, (-2, 2), (-1.5, 1.5), toy_points, resolution=40)
    contours = _contours(ax)
    assert isinstance(contours.norm, LogNorm)
    a, b = np.meshgrid(np.linspace(-2, 2, 40), np.linspace(-1.5, 1.5, 40))
    speed = 0.5 * (((1 - a**2) * b) ** 2 + (a / 2 - b) ** 2)
    assert contours.levels[-1] == pytest.approx(speed.max(), rel=1e-12)
    assert contours.levels[0] == pytest.approx(speed.min(), rel=1e-12)
    assert contours.colorbar.ax.get_ylabel() == "q"
    assert any(isinstance(c, LineCollection) for c in ax.collections)  # the streamlines
    markers = _labelled(ax)
    assert list(markers) == ["stable", "1-saddle"]
    np.testing.assert_allclose(
        np.sort(markers["stable"].get_offsets(), axis=0), [[-1, -0.5], [1, 0.5]], atol=1e-9
    )
    np.testing.assert_allclose(markers["1-saddle"].get_offsets(), [[0, 0]], atol=1e-9)
    assert len(markers["stable"].get_facecolors()) == 1
    assert len(markers["1-saddle"].get_facecolors()) == 0
    assert _legend_texts(ax) == ["stable", "1-saddle"]
    assert ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-1.5, 1.5)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x1", "x2")


def test_speed_landscape_plane_of_an_esn(small_net):
    run = small_net.run(np.zeros((200, 2)))
    pca = rd.PCA(2).fit(run.states)
    fps = rd.find_fixed_points(small_net, rd.sample_states(run.states, 8, noise=0.3, seed=0))
    ax = rd.plot.speed_landscape(
        small_net,
        (-3, 3),
        (-2, 2),
        fps,
        plane=pca,
        resolution=30,
        streamlines=False,
        inputs=[0.5, -0.5],
    )
    a, b = np.meshgrid(np.linspace(-3, 3, 30), np.linspace(-2, 2, 30))
    states = pca.inverse_transform(np.column_stack([a.ravel(), b.ravel()]))
    speed = 0.5 * np.sum(small_net.velocity(states, inputs=[0.5, -0.5]) ** 2, axis=1)
    assert _contours(ax).levels[-1] == pytest.approx(speed.max(), rel=1e-10)
    assert not any(isinstance(c, LineCollection) for c in ax.collections)
    shown = np.concatenate([c.get_offsets() for c in _labelled(ax).values()])
    expected = pca.transform(fps.points[fps.kind != "unconverged"])
    np.testing.assert_allclose(np.sort(shown, axis=0), np.sort(expected, axis=0), atol=1e-10)
    assert ax.get_xlabel().startswith("PC1 (")
    # the same plane given as (origin, basis)
    ax = rd.plot.speed_landscape(
        small_net,
        (-3, 3),
        (-2, 2),
        plane=(pca.mean_, pca.components_),
        resolution=30,
        inputs=[0.5, -0.5],
    )
    assert _contours(ax).levels[-1] == pytest.approx(speed.max(), rel=1e-10)


def test_speed_landscape_bad_input(small_net):
    with pytest.raises(ValueError, match="plane=.*size 60"):
        rd.plot.speed_landscape(small_net, (-1, 1), (-1, 1))
    with pytest.raises(ValueError, match="xlim must be"):
        rd.plot.speed_landscape(TOY, (1, -1), (-1, 1))
    with pytest.raises(ValueError, match="inputs apply to an ESN or RNN"):
        rd.plot.speed_landscape(TOY, (-1, 1), (-1, 1), inputs=[1.0])
    with pytest.raises(TypeError, match="velocity"):
        rd.plot.speed_landscape(object(), (-1, 1), (-1, 1))
    with pytest.raises(ValueError, match="linearly independent"):
        rd.plot.speed_landscape(small_net, (-1, 1), (-1, 1), plane=(np.zeros(60), np.ones((2, 60))))
    with pytest.raises(ValueError, match="plane basis must have shape"):
        rd.plot.speed_landscape(small_net, (-1, 1), (-1, 1), plane=(np.zeros(60), np.eye(2, 59)))


# -- spectrum -------------------------------------------------------------------------------------
def test_spectrum_continuous(toy_points):
    saddle = int(np.flatnonzero(toy_points.unstable_dims == 1)[0])
    ax = rd.plot.spectrum(toy_points, saddle)
    (boundary,) = ax.lines
    np.testing.assert_array_equal(boundary.get_xdata(), [0, 0])  # Re λ = 0
    markers = _labelled(ax)
    assert list(markers) == ["stable (1)", "unstable (1)"]
    np.testing.assert_allclose(
        markers["unstable (1)"].get_offsets(), [[(np.sqrt(3) - 1) / 2, 0]], atol=1e-8
    )
    np.testing.assert_allclose(
        markers["stable (1)"].get_offsets(), [[-(np.sqrt(3) + 1) / 2, 0]], atol=1e-8
    )
    assert ax.get_title() == f"1-saddle (point {saddle})"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Re λ", "Im λ")
    assert _legend_texts(ax) == ["Re λ = 0", "stable (1)", "unstable (1)"]


def test_spectrum_discrete_shows_multipliers_against_the_unit_circle():
    eigenvalues = np.array([[0.5, -0.5 + 0.2j, -0.5 - 0.2j, -1.5], [-0.5, -0.8, np.nan, np.nan]])
    fps = _fixed_points(
        [1, 0], ["fixed", "fixed"], eigenvalues, np.zeros((2, 4, 1)), discrete_time=True
    )
    ax = rd.plot.spectrum(fps, 0)
    (circle,) = ax.lines
    np.testing.assert_allclose(np.hypot(*circle.get_xydata().T), 1)
    markers = _labelled(ax)
    np.testing.assert_allclose(markers["unstable (1)"].get_offsets(), [[1.5, 0]])
    np.testing.assert_allclose(
        markers["stable (3)"].get_offsets(), [[0.5, 0.2], [0.5, -0.2], [-0.5, 0]]
    )
    assert ax.get_xlabel().startswith("Re μ")
    ax = rd.plot.spectrum(fps, -1)  # NaN padding dropped; fewer than N said so
    assert [len(c.get_offsets()) for c in _labelled(ax).values()] == [2]
    assert ax.get_title() == "stable node (point -1; the 2 least stable of 4)"
    with pytest.raises(ValueError, match=r"index must be an integer in \[-2, 2\)"):
        rd.plot.spectrum(fps, 2)
    with pytest.raises(TypeError, match="fixed_points must be a FixedPoints"):
        rd.plot.spectrum(eigenvalues)


# -- robustness -----------------------------------------------------------------------------------
def _noise_result(scale: float, relative: bool = True, **extra) -> SimpleNamespace:
    eta = np.array([0.0, 1e-3, 1e-2, 1e-1])
    trials = np.random.default_rng(int(scale)).lognormal(0, 0.3, size=(4, 5))
    return SimpleNamespace(
        eta=eta, mse=scale * (1e-3 + eta[:, None]) * trials, relative=relative, **extra
    )


def test_robustness_lines_bands_and_scales():
    results = {"tanh": _noise_result(1.0), "transfer": _noise_result(3.0)}
    results["transfer"].mse[-1, :2] = np.inf  # two diverged trials
    ax = rd.plot.robustness(results)
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    curves = [line for line in ax.lines if line.get_label() in results]
    assert [line.get_label() for line in curves] == ["tanh", "transfer"]
    for line, result in zip(curves, results.values(), strict=True):
        np.testing.assert_array_equal(line.get_xdata(), result.eta[1:])
        np.testing.assert_allclose(line.get_ydata(), np.median(result.mse, axis=1)[1:])
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    # the noise-free level, which a log axis cannot show, as a dotted line
    dotted = [line for line in ax.lines if line.get_linestyle() == ":" and len(line.get_xdata())]
    assert [line.get_ydata()[0] for line in dotted] == pytest.approx(
        [np.median(r.mse[0]) for r in results.values()]
    )
    assert _legend_texts(ax) == ["tanh", "transfer", "no noise"]
    assert ax.get_xlabel() == "η (relative to std of W_r)"
    assert ax.get_ylabel() == "test MSE"


def test_robustness_uses_baseline_and_matrix_when_given():
    result = _noise_result(1.0, relative=False, baseline_mse=2e-4, matrix="feedback")
    result.eta[0] = 1e-4
    ax = rd.plot.robustness({"net": result})
    (dotted,) = [line for line in ax.lines if line.get_linestyle() == ":" and len(line.get_xdata())]
    assert dotted.get_ydata()[0] == 2e-4
    assert ax.get_xlabel() == "η"
    assert "W_fb" in ax.get_title()


def test_robustness_bad_input():
    with pytest.raises(ValueError, match="mix relative and absolute"):
        rd.plot.robustness({"a": _noise_result(1.0), "b": _noise_result(1.0, relative=False)})
    bad = _noise_result(1.0)
    bad.mse = bad.mse[:3]
    with pytest.raises(ValueError, match=r"results\['a'\].mse must have shape \(4, trials\)"):
        rd.plot.robustness({"a": bad})
    with pytest.raises(TypeError, match="must have eta, mse and relative"):
        rd.plot.robustness({"a": object()})
    with pytest.raises(ValueError, match="non-empty mapping"):
        rd.plot.robustness({})


def test_bits_held_lines_bands_and_noise_free_shares():
    held = np.array([[1.0, 1.0, 0.9, 1.0, 1.0], [1.0] * 5, [0.9, 0.8, 1.0, 0.7, 0.9], [0.5] * 5])
    results = {
        "tanh": _noise_result(1.0, bits_held=held),
        "transfer": _noise_result(3.0, bits_held=held / 2, baseline_bits_held=0.75),
    }
    ax = rd.plot.bits_held(results)
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "linear")
    curves = [line for line in ax.lines if line.get_label() in results]
    np.testing.assert_array_equal(curves[0].get_ydata(), [1.0, 0.9, 0.5])  # η > 0 only
    np.testing.assert_array_equal(curves[1].get_ydata(), [0.5, 0.45, 0.25])
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2
    # the median at η = 0 for the first, the given noise-free share for the second
    dotted = [line for line in ax.lines if line.get_linestyle() == ":" and len(line.get_xdata())]
    assert [line.get_ydata()[0] for line in dotted] == [1.0, 0.75]
    assert _legend_texts(ax) == ["tanh", "transfer", "no noise"]
    assert ax.get_ylabel() == "share of bits held" and ax.get_ylim() == (-0.02, 1.02)
    assert "W_r" in ax.get_title()
    with pytest.raises(ValueError, match=r"results\['a'\] has no bits_held"):
        rd.plot.bits_held({"a": _noise_result(1.0)})
    with pytest.raises(ValueError, match=r"bits_held must hold shares in \[0, 1\]"):
        rd.plot.bits_held({"a": _noise_result(1.0, bits_held=held * 2)})
    with pytest.raises(ValueError, match=r"bits_held must have shape \(4, any\)"):
        rd.plot.bits_held({"a": _noise_result(1.0, bits_held=held[:3])})


def test_phase_portrait_draws_cycles_as_closed_curves():
    from test_limit_cycles import hopf, oscillating_esn

    net = oscillating_esn()
    sk = rd.skeleton(net, np.random.default_rng(4).normal(0, 1, (8, 2)))
    pca = rd.PCA(2).fit(sk.stable_cycles.states)
    ax = rd.plot.phase_portrait(pca, skeleton=sk, system=net)
    (line,) = ax.lines  # no 1-saddle: the cycle's curve alone
    drawn = np.column_stack(line.get_data())
    orbit = sk.stable_cycles.points[0]
    np.testing.assert_allclose(drawn, pca.transform(np.vstack([orbit, orbit[:1]])))
    assert to_rgba(line.get_color()) == to_rgba("black") and line.get_linestyle() == "-"
    assert "stable cycle" in _legend_texts(ax)
    # a saddle cycle (one unstable multiplier) dashed, in the 1-saddle colour
    saddle = rd.find_cycles(hopf(growth=0.3), np.array([[1.0, 0.0, 0.0]]), max_period=10)
    ax = rd.plot.phase_portrait(rd.PCA(2).fit(saddle.states), cycles=saddle)
    (line,) = ax.lines
    assert to_rgba(line.get_color()) == to_rgba("tab:red") and line.get_linestyle() == "--"
    assert "1-saddle cycle" in _legend_texts(ax)
    with pytest.raises(TypeError, match="cycles must be a Cycles"):
        rd.plot.phase_portrait(pca, cycles=sk)
    with pytest.raises(ValueError, match="cycles must have width N = 2"):
        rd.plot.phase_portrait(pca, cycles=saddle)
