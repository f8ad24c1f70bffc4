"""Fixed points over training: matching, tracks and events, a trained flip-flop network,
persistence, and the figure-7 plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import rnndyn as rd  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from PIL import Image  # noqa: E402
from rnndyn.analysis.evolution import build_tracks, default_tol_match, match_points  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _fixed_points(points, unstable_dims, eigen_width=None) -> rd.FixedPoints:
    """A FixedPoints built by hand: kind "fixed", eigenvalues +1 (unstable) or -1, padded
    with NaN to `eigen_width` (default N), unstable directions along the first axes."""
    points = np.asarray(points, dtype=float).reshape(len(unstable_dims), -1)
    dims = np.asarray(unstable_dims, dtype=int)
    m, n = points.shape
    width = n if eigen_width is None else eigen_width
    eigenvalues = np.where(np.arange(width) < dims[:, None], 1.0, -1.0) + 0j
    eigenvalues[:, n:] = np.nan
    # unit vectors along the first axes as the unstable directions
    right = np.zeros((m, n, int(dims.max(initial=0))), dtype=complex)
    for i, k in enumerate(dims):
        right[i, np.arange(k), np.arange(k)] = 1
    return rd.FixedPoints(
        points=points,
        q=np.zeros(m),
        grad_norm=np.zeros(m),
        iterations=np.zeros(m, int),
        stop_reason=np.full(m, "q_tolerance"),
        kind=np.full(m, "fixed"),
        count=np.ones(m, int),
        is_outlier=np.zeros(m, bool),
        eigenvalues=eigenvalues,
        unstable_dims=dims,
        is_stable=dims == 0,
        label=np.array([f"{k}-saddle" if k else "stable node" for k in dims]),
        unstable_right=right,
        unstable_left=right,
    )


# -- matching ----------------------------------------------------------------------------------
def test_match_points_recovers_a_permutation():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(7, 5)) * 10
    order = rng.permutation(7)
    b = a[order] + 0.01 * rng.normal(size=(7, 5))  # b[j] is a[order[j]], moved a little
    pairs, lost, new = match_points(a, b, tol=0.5)
    assert lost.size == 0 and new.size == 0
    np.testing.assert_array_equal(pairs[:, 0], np.arange(7))
    np.testing.assert_array_equal(order[pairs[:, 1]], pairs[:, 0])


def test_match_points_leaves_far_points_unmatched():
    a = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    b = np.array([[0.1, 0.0], [50.0, 50.0], [10.0, 0.2]])  # a[2] gone, b[1] new
    pairs, lost, new = match_points(a, b, tol=1.0)
    np.testing.assert_array_equal(pairs, [[0, 0], [1, 2]])
    np.testing.assert_array_equal(lost, [2])
    np.testing.assert_array_equal(new, [1])
    # with no limit every point finds a partner
    assert len(match_points(a, b, tol=np.inf)[0]) == 3


def test_match_points_respects_tol():
    a, b = np.array([[0.0]]), np.array([[0.3]])
    assert len(match_points(a, b, tol=0.31)[0]) == 1
    assert len(match_points(a, b, tol=0.3)[0]) == 0  # strictly closer than tol
    assert len(match_points(a, b, tol=0.1)[0]) == 0
    # the plain least total distance would pair a0-b0 (0.9) and a1-b1 (4, too far); the
    # point 0.1 away from b0 must get it instead
    a, b = np.array([[0.0], [1.0]]), np.array([[0.9], [5.0]])
    pairs, lost, new = match_points(a, b, tol=1.0)
    np.testing.assert_array_equal(pairs, [[1, 0]])
    np.testing.assert_array_equal(lost, [0])
    np.testing.assert_array_equal(new, [1])
    # empty sides
    pairs, lost, new = match_points(np.zeros((0, 1)), b, tol=1.0)
    assert pairs.shape == (0, 2) and lost.size == 0 and list(new) == [0, 1]


def test_match_points_checks_its_arguments():
    with pytest.raises(ValueError, match="b must have shape"):
        match_points(np.zeros((2, 3)), np.zeros((2, 2)), tol=1.0)
    with pytest.raises(ValueError, match="tol must be > 0"):
        match_points(np.zeros((2, 3)), np.zeros((2, 3)), tol=0.0)
    with pytest.raises(TypeError, match="tol must be a real number"):
        match_points(np.zeros((2, 3)), np.zeros((2, 3)), tol="1")


# -- tracks and events on a hand-made sequence (figure 7 in miniature) ----------------------------
# step 0: one stable point at the origin; 100: the origin has become a 1-saddle and two stable
# points have appeared at ±5 e1; 200: the points drift, the +5 one is gone and one far away has
# appeared.
SEQUENCE = [
    ([[0.0, 0.0]], [0]),
    ([[5.0, 0.0], [0.05, 0.0], [-5.0, 0.0]], [0, 1, 0]),
    ([[-5.1, 0.0], [0.1, 0.0], [0.0, 40.0]], [0, 1, 2]),
]
STEPS = [0, 100, 200]


def test_build_tracks_follows_points_and_lists_events():
    points = [np.array(p) for p, _ in SEQUENCE]
    dims = [np.array(d) for _, d in SEQUENCE]
    tracks, events = build_tracks(points, dims, STEPS, tol_match=1.0)
    assert [t.tolist() for t in tracks] == [[0], [1, 0, 2], [2, 0, 3]]
    assert events.tolist() == [
        (1, 100, 0, "stability", 0, 1),
        (1, 100, 1, "appears", -1, 0),
        (1, 100, 2, "appears", -1, 0),
        (2, 200, 1, "vanishes", 0, -1),
        (2, 200, 3, "appears", -1, 2),
    ]


def test_evolution_from_snapshots_counts_summary_and_persistence(tmp_path):
    # snapshots of different eigenvalue widths and vector widths must survive saving
    snapshots = [_fixed_points(p, d, eigen_width=2 + k) for k, (p, d) in enumerate(SEQUENCE)]
    evo = rd.Evolution.from_snapshots(STEPS, snapshots, tol_match=1.0)
    np.testing.assert_array_equal(evo.counts, [1, 3, 3])
    np.testing.assert_array_equal(evo.stable_counts, [1, 2, 1])
    np.testing.assert_array_equal(evo.track_dims, [[0, -1, -1, -1], [1, 0, 0, -1], [1, -1, 0, 2]])
    lines = evo.summary().splitlines()
    assert lines[0].startswith("4 tracks over 3 snapshots")
    assert lines[3].split() == ["100", "3", "2", "1", "2", "appears,", "1", "stability"]
    assert lines[4].split()[:4] == ["200", "3", "1", "2"]

    loaded = rd.Evolution.load(evo.save(tmp_path / "evo"))
    assert loaded.summary() == evo.summary() and loaded.tol_match == 1.0
    np.testing.assert_array_equal(loaded.events, evo.events)
    for before, after, track_before, track_after in zip(
        evo.fixed_points, loaded.fixed_points, evo.tracks, loaded.tracks, strict=True
    ):
        np.testing.assert_array_equal(track_after, track_before)
        for name in ("points", "unstable_dims", "label", "unstable_right", "kind"):
            np.testing.assert_array_equal(getattr(after, name), getattr(before, name))
        assert after.eigenvalues.shape == before.eigenvalues.shape
        np.testing.assert_array_equal(after.eigenvalues, before.eigenvalues)  # NaN == NaN


def test_default_tolerance_is_half_the_median_spacing():
    points = [np.array(p) for p, _ in SEQUENCE]
    # nearest-neighbour distances: 4.95, 4.95, 5.05 (step 100); 5.2, 5.2, 39.9 (step 200)
    assert default_tol_match(points) == pytest.approx(
        0.5 * np.median([4.95, 4.95, 5.05, 5.2, 5.2, np.hypot(0.1, 40)])
    )
    assert default_tol_match([np.zeros((1, 2)), np.ones((1, 2))]) == np.inf
    evo = rd.Evolution.from_snapshots(STEPS, [_fixed_points(p, d) for p, d in SEQUENCE])
    assert evo.tol_match == default_tol_match(points)


def test_from_snapshots_checks_its_arguments():
    fps = [_fixed_points(p, d) for p, d in SEQUENCE]
    with pytest.raises(ValueError, match="steps must increase"):
        rd.Evolution.from_snapshots([0, 200, 100], fps)
    with pytest.raises(ValueError, match="one FixedPoints per step"):
        rd.Evolution.from_snapshots([0, 100], fps)
    with pytest.raises(ValueError, match="kinds must be"):
        rd.Evolution.from_snapshots(STEPS, fps, kinds=("stable",))
    with pytest.raises(ValueError, match="same width"):
        rd.Evolution.from_snapshots([0, 1], [fps[0], _fixed_points([[0.0, 0.0, 0.0]], [0])])


# -- a trained flip-flop network ---------------------------------------------------------------
@pytest.fixture(scope="module")
def trained():
    """N = 200 trained for 8,000 steps on the 2-bit flip-flop, readouts every 1,000 steps, and
    32 starting states from a tour of its four memories. (Measured: this network holds all
    four patterns and has exactly four stable fixed points at the end, for any 16-64 starting
    states sampled from the tour; seeds 1 and 3 of this size do not learn the task yet.)"""
    net = rd.ESN(n=200, inputs=2, outputs=2, g=1.5, tau=10, dt=1, seed=0)
    history = rd.train_force(net, rd.tasks.FlipFlop(2, seed=0).sample(8000), snapshot_every=1000)
    tour = net.copy().run(rd.tasks.FlipFlop(2).sample_patterns(hold=300))
    starts = rd.sample_states(tour.states, 32, seed=0)
    return net, history, starts, tour


@pytest.fixture(scope="module")
def evo(trained):
    net, history, starts, _ = trained
    return rd.fixed_point_evolution(net, history, starts)


def test_flipflop_ends_with_four_tracked_memories(trained, evo):
    net = trained[0]
    np.testing.assert_array_equal(evo.steps, np.arange(0, 8001, 1000))
    assert evo.stable_counts[-1] == 4
    final = evo.fixed_points[-1]
    outputs = net.output_of(final.stable.points)
    assert np.all(np.abs(np.abs(outputs) - 1) < 0.1)
    assert len({tuple(s) for s in np.sign(outputs).astype(int)}) == 4
    # the memories are the same points over the last snapshots: their tracks were stable at
    # 6,000 and 7,000 steps too, and barely moved
    memories = evo.tracks[-1][final.is_stable]
    assert np.all(evo.track_dims[-3:, memories] == 0)
    for k in (-3, -2):
        here = evo.fixed_points[k].points[np.isin(evo.tracks[k], memories)]
        assert (
            np.max(np.min(np.linalg.norm(here[:, None] - final.stable.points, axis=2), axis=1))
            < 0.1 * evo.tol_match
        )


def test_counts_agree_with_tracks_and_events(evo):
    table = evo.track_dims
    np.testing.assert_array_equal(evo.counts, [len(t) for t in evo.tracks])
    np.testing.assert_array_equal(evo.counts, np.sum(table >= 0, axis=1))
    np.testing.assert_array_equal(evo.stable_counts, np.sum(table == 0, axis=1))
    assert all(np.all(f.kind == "fixed") for f in evo.fixed_points)
    assert all(len(np.unique(t)) == len(t) for t in evo.tracks)
    for k in range(1, len(evo)):
        here = evo.events[evo.events["snapshot"] == k]
        assert np.all(here["step"] == evo.steps[k])
        born, gone = np.sum(here["kind"] == "appears"), np.sum(here["kind"] == "vanishes")
        assert evo.counts[k] == evo.counts[k - 1] + born - gone
        # an event's dims are the track's dims on either side
        np.testing.assert_array_equal(here["dims_before"], table[k - 1, here["track"]])
        np.testing.assert_array_equal(here["dims_after"], table[k, here["track"]])
    # every change of a track's dims between snapshots is an event, and nothing else is
    changed = np.argwhere(table[1:] != table[:-1])
    assert len(changed) == len(evo.events)


def test_evolution_saves_and_loads(evo, tmp_path):
    path = evo.save(tmp_path / "evolution.npz")
    loaded = rd.Evolution.load(path)
    assert loaded.summary() == evo.summary()
    np.testing.assert_array_equal(loaded.steps, evo.steps)
    np.testing.assert_array_equal(loaded.events, evo.events)
    for before, after in zip(evo.fixed_points, loaded.fixed_points, strict=True):
        for name in ("points", "q", "eigenvalues", "unstable_right", "unstable_left", "label"):
            np.testing.assert_array_equal(getattr(after, name), getattr(before, name))
    with pytest.raises(ValueError, match="not a 'Evolution'"):
        rd.Evolution.load(evo.fixed_points[0].save(tmp_path / "points"))


def test_a_subset_of_snapshots_gives_the_same_points(trained, evo):
    net, history, starts, _ = trained
    last = rd.fixed_point_evolution(
        net, history, starts, snapshots=[-2, -1], tol_match=evo.tol_match
    )
    np.testing.assert_array_equal(last.steps, [7000, 8000])
    for mine, full in zip(last.fixed_points, evo.fixed_points[-2:], strict=True):
        np.testing.assert_array_equal(mine.points, full.points)
    columns = ["track", "kind", "dims_before", "dims_after"]
    mine = last.events[columns].tolist()
    full = evo.events[evo.events["snapshot"] == len(evo) - 1][columns].tolist()
    # the same events, the tracks renumbered from 0
    relabel = dict(zip(evo.tracks[-2], last.tracks[0], strict=True))
    relabel |= dict(zip(evo.tracks[-1], last.tracks[1], strict=True))
    assert mine == [(relabel[track], *rest) for track, *rest in full]


def test_fixed_point_evolution_checks_its_arguments(trained):
    net, history, starts, _ = trained
    with pytest.raises(TypeError, match="net must be an ESN"):
        rd.fixed_point_evolution("net", history, starts)
    with pytest.raises(TypeError, match="history must be a TrainingHistory"):
        rd.fixed_point_evolution(net, history.readouts, starts)
    with pytest.raises(ValueError, match="history's readouts have shape"):
        rd.fixed_point_evolution(rd.ESN(50, 2, 2, seed=0), history, starts)
    with pytest.raises(ValueError, match="initial_states must have shape"):
        rd.fixed_point_evolution(net, history, starts[:, :10])
    with pytest.raises(ValueError, match="snapshots must index"):
        rd.fixed_point_evolution(net, history, starts, snapshots=[0, 9])
    with pytest.raises(ValueError, match="training order"):
        rd.fixed_point_evolution(net, history, starts, snapshots=[3, 1])
    with pytest.raises(TypeError, match="snapshots must be a slice or integer"):
        rd.fixed_point_evolution(net, history, starts, snapshots=[0.5])
    with pytest.raises(ValueError, match="kinds must be"):
        rd.fixed_point_evolution(net, history, starts, kinds=())
    with pytest.raises(ValueError, match="tol_match must be > 0"):
        rd.fixed_point_evolution(net, history, starts, tol_match=-1.0)


# -- plots -------------------------------------------------------------------------------------
def _edge_colours(ax) -> list[tuple]:
    return [tuple(c) for coll in ax.collections for c in np.atleast_2d(coll.get_edgecolor())]


def test_grid_has_one_titled_panel_per_snapshot(evo):
    fig = rd.plot.evolution(evo, columns=3)
    assert len(fig.axes) == len(evo)
    for ax, step, count, stable in zip(
        fig.axes, evo.steps, evo.counts, evo.stable_counts, strict=True
    ):
        assert ax.name == "3d"
        assert ax.get_title().startswith(f"step {step}\n")
        assert f"{count} points, {stable} stable" in ax.get_title()
        assert any(isinstance(c, PathCollection) for c in ax.collections)
    # the 1,000-step panel marks the points that appeared (green rings) and vanished (crosses)
    colours = _edge_colours(fig.axes[1])
    assert to_rgba("tab:green") in colours and to_rgba("0.4") in colours
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0] == "stable" and {"appeared", "vanished", "final points"} <= set(labels)


def test_grid_in_a_given_basis_and_bad_arguments(trained, evo):
    pca = rd.PCA(3).fit(trained[3].states)
    fig = rd.plot.evolution(evo, pca=pca, fig=plt.figure(), legend=False)
    assert len(fig.axes) == len(evo) and not fig.legends
    with pytest.raises(TypeError, match="evo must be an Evolution"):
        rd.plot.evolution(evo.fixed_points)
    with pytest.raises(TypeError, match="pca must be a fitted rnndyn.PCA"):
        rd.plot.evolution(evo, pca="pca")
    with pytest.raises(ValueError, match="trajectories must hold one entry per snapshot"):
        rd.plot.evolution(evo, trajectories=[trained[3].states])


def test_grid_marks_a_change_of_stability():
    evo = rd.Evolution.from_snapshots(
        STEPS,
        [_fixed_points(np.c_[np.array(p), np.zeros(len(d))], d) for p, d in SEQUENCE],
        tol_match=1.0,
    )
    fig = rd.plot.evolution(evo, overlay_final=False)
    # the origin turned into a saddle at step 100: a blue square there and nowhere else
    blue = [to_rgba("tab:blue") in _edge_colours(ax) for ax in fig.axes]
    assert blue == [False, True, False]


def test_animation_writes_one_frame_per_snapshot(evo, tmp_path):
    figures = plt.get_fignums()
    path = rd.plot.animation(evo, tmp_path / "evolution", fps=4, dpi=40)
    assert path == tmp_path / "evolution.gif" and path.exists()
    with Image.open(path) as gif:
        assert gif.n_frames == len(evo)
        assert gif.info["duration"] == 250  # ms per frame at 4 frames per second
    assert plt.get_fignums() == figures  # its figure is closed
