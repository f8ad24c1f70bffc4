"""The skeleton: attractors, the saddles between them and the graph, on systems whose skeleton
is known (decoupled units: the k-cube) and on trained flip-flops, checked against free runs
written here in plain NumPy."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
import rnndyn as rd

# decoupled units: k self-exciting ones (w > 1: zeros at 0 and ±x*) among weak ones (w < 1:
# zero at 0 only), in shuffled positions
STRONG, WEAK, UNITS = 2.0, 0.5, 12


def decoupled(k: int, discrete: bool, seed: int = 0) -> tuple[rd.ESN | rd.RNN, np.ndarray]:
    """A network of UNITS decoupled units, k of them self-exciting; and their positions."""
    rng = np.random.default_rng(seed)
    strong = rng.choice(UNITS, k, replace=False)
    w = np.full(UNITS, WEAK)
    w[strong] = STRONG
    if discrete:
        return rd.RNN(np.diag(w)), strong
    no_output = np.zeros((UNITS, 1)), np.zeros((UNITS, 0)), np.zeros((1, UNITS))
    return rd.ESN.from_weights(np.diag(w), *no_output), strong


@pytest.mark.parametrize("discrete", [False, True], ids=["continuous", "discrete"])
@pytest.mark.parametrize("k", [3, 4])
def test_decoupled_units_give_every_zero_and_the_k_cube(k: int, discrete: bool) -> None:
    system, strong = decoupled(k, discrete)
    starts = np.random.default_rng(1).normal(0, 1.5, (64, UNITS))
    sk = rd.skeleton(system, starts, n_jobs=2)
    fps = sk.fixed_points
    # every zero: each strong unit at -x*, 0 or +x*, every weak one at 0; index = zeros
    assert len(fps) == 3**k and np.all(fps.kind == "fixed")
    weak = np.setdiff1d(np.arange(UNITS), strong)
    assert np.max(np.abs(fps.points[:, weak])) < 1e-9
    pattern = np.sign(np.round(fps.points[:, strong], 6)).astype(int)
    assert len({tuple(p) for p in pattern}) == 3**k
    np.testing.assert_array_equal(fps.unstable_dims, np.sum(pattern == 0, axis=1))
    # the attractors are the 2^k corners, and the 1-saddles join exactly the cube's edges
    corners = np.sign(sk.attractor_states[:, strong]).astype(int)
    assert len(sk) == 2**k and np.all(sk.attractor_kind == "fixed")
    assert len({tuple(c) for c in corners}) == 2**k and np.all(corners != 0)
    cube = {
        (a, b)
        for a, b in itertools.combinations(range(2**k), 2)
        if np.sum(corners[a] != corners[b]) == 1
    }
    assert sk.joined() == cube and len(sk.edges) == k * 2 ** (k - 1)
    # the basins that meet are the cube's edges too (the diagonals cross at higher saddles)
    assert {tuple(p) for p in sk.adjacent.tolist()} == cube and sk.unjoined().size == 0
    # each boundary's saddle is the 1-saddle on that edge of the cube
    for (a, b), row in zip(sk.adjacent.tolist(), sk.boundary_saddle.tolist(), strict=True):
        assert [a, b] in sk.edges[sk.edges[:, 0] == row, 1:].tolist()
    assert np.all(fps.unstable_dims[sk.edges[:, 0]] == 1)  # each edge's row is its 1-saddle
    for saddle, a, b in sk.edges:
        # the saddle sits on the cube's edge from a to b: its zero unit is where they differ
        differ = corners[a] != corners[b]
        assert np.array_equal(pattern[saddle] == 0, differ)
        np.testing.assert_array_equal(pattern[saddle][~differ], corners[a][~differ])


def test_skeleton_saves_and_loads(tmp_path) -> None:
    system, _ = decoupled(3, discrete=False)
    sk = rd.skeleton(system, np.random.default_rng(1).normal(0, 1.5, (64, UNITS)))
    loaded = rd.Skeleton.load(sk.save(tmp_path / "skeleton"))
    results = ("fixed_points", "saddle_cycles", "stable_cycles")
    names = [f.name for f in dataclasses.fields(rd.Skeleton) if f.name not in results]
    assert len(names) == 7  # every array field is compared
    for name in names:
        np.testing.assert_array_equal(getattr(loaded, name), getattr(sk, name))
    np.testing.assert_array_equal(loaded.fixed_points.eigenvalues, sk.fixed_points.eigenvalues)
    assert loaded.summary() == sk.summary()
    np.testing.assert_array_equal(sk.fixed_points.points[sk.attractor_index], sk.attractor_states)


def test_to_networkx_is_the_cube() -> None:
    import networkx

    system, _ = decoupled(3, discrete=True)
    sk = rd.skeleton(system, np.random.default_rng(1).normal(0, 1.5, (64, UNITS)))
    graph = sk.to_networkx()
    attractors = [node for node in graph if node[0] == "attractor"]
    saddles = [node for node in graph if node[0] == "saddle"]
    assert len(attractors) == 8 and len(saddles) == 12
    assert all(graph.degree(node) == 3 for node in attractors)
    # joining each saddle's two ends gives the 3-cube
    cube = networkx.Graph(
        [tuple(sorted(n for n in graph[s] if n[0] == "attractor")) for s in saddles]
    )
    assert networkx.is_isomorphic(cube, networkx.hypercube_graph(3))


def test_same_result_whatever_the_threads() -> None:
    system, _ = decoupled(3, discrete=False)
    starts = np.random.default_rng(2).normal(0, 1.5, (48, UNITS))
    one, two = (rd.skeleton(system, starts, n_jobs=n) for n in (1, 2))
    np.testing.assert_array_equal(one.edges, two.edges)
    np.testing.assert_array_equal(one.fixed_points.points, two.fixed_points.points)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"radius": 0.5}, ValueError, "radius must be < 0.5"),
        ({"radius": -1.0}, ValueError, "radius"),
        ({"max_steps": 0}, ValueError, "max_steps"),
        ({"n_jobs": 0}, ValueError, "n_jobs"),
        ({"patience": 0}, ValueError, "patience"),
        ({"edge_tolerance": 1e-3}, ValueError, "edge_tolerance must be < 0.001"),
        ({"edge_tolerance": 0.0}, ValueError, "edge_tolerance must be > 0"),
        ({"boundary_starts": -1}, ValueError, "boundary_starts"),
        ({"boundary_spread": 0.0}, ValueError, "boundary_spread must be > 0"),
        ({"deflation": "many"}, TypeError, "deflation must be 'auto' or an int"),
        ({"initial_states": np.zeros((0, UNITS))}, ValueError, "initial_states"),
        ({"initial_states": np.zeros((4, 3))}, ValueError, "initial_states"),
        ({"system": "net"}, TypeError, "system must be"),
    ],
)
def test_bad_arguments_name_themselves(arguments, error, message) -> None:
    system, _ = decoupled(3, discrete=False)
    call = {"system": system, "initial_states": np.ones((4, UNITS)), **arguments}
    with pytest.raises(error, match=message):
        rd.skeleton(**call)


@pytest.mark.parametrize("discrete", [False, True], ids=["continuous", "discrete"])
def test_branches_run_from_each_saddle_to_the_attractors_its_edge_names(discrete: bool) -> None:
    system, _ = decoupled(3, discrete)
    sk = rd.skeleton(system, np.random.default_rng(1).normal(0, 1.5, (64, UNITS)), n_jobs=2)
    branches = rd.skeleton_branches(system, sk, n_jobs=2)
    assert len(branches) == 2 * len(sk.edges)
    attractors = sk.attractor_states
    gaps = np.linalg.norm(attractors[:, None] - attractors[None], axis=2)
    np.fill_diagonal(gaps, np.inf)
    radius = 0.25 * gaps.min(axis=1)  # skeleton's default settling radius
    for e, (saddle, a, b) in enumerate(sk.edges):
        pair = branches[2 * e : 2 * e + 2]
        # each starts a step off the saddle, on either side, and ends inside a or b's radius
        saddle_state = sk.fixed_points.points[saddle]
        starts = np.array([path[0] for path in pair])
        assert np.all(np.linalg.norm(starts - saddle_state, axis=1) < 1e-2)
        np.testing.assert_allclose(starts[0] - saddle_state, saddle_state - starts[1])
        ends = np.array([path[-1] for path in pair])
        distance = np.linalg.norm(ends[:, None] - attractors[None], axis=2)
        reached = np.argmin(distance, axis=1)
        assert sorted(reached.tolist()) == [a, b]
        assert np.all(distance[[0, 1], reached] <= radius[reached])


def test_branches_bad_arguments() -> None:
    system, _ = decoupled(3, discrete=False)
    sk = rd.skeleton(system, np.random.default_rng(1).normal(0, 1.5, (64, UNITS)))
    with pytest.raises(TypeError, match="skeleton must be a Skeleton"):
        rd.skeleton_branches(system, sk.fixed_points)
    with pytest.raises(ValueError, match="skeleton must have width N = 5"):
        rd.skeleton_branches(rd.RNN(np.eye(5)), sk)
    with pytest.raises(ValueError, match="max_steps"):
        rd.skeleton_branches(system, sk, max_steps=0)
    with pytest.raises(ValueError, match="radius"):
        rd.skeleton_branches(system, sk, radius=-1.0)


def test_hypercube_reads_the_decoupled_cube() -> None:
    system, strong = decoupled(3, discrete=False)
    sk = rd.skeleton(system, np.random.default_rng(1).normal(0, 1.5, (64, UNITS)))
    outputs = np.sign(sk.attractor_states[:, strong])
    cube = rd.dynamics.hypercube(sk, outputs)
    assert cube["memories"] == sorted("".join(p) for p in itertools.product("+-", repeat=3))
    assert len(cube["edges_with_saddle"]) == 12 and cube["edges_without_saddle"] == []
    for first, second in cube["edges_with_saddle"]:
        assert sum(x != y for x, y in zip(first, second, strict=True)) == 1
    # away from the corners (|z| = 0.5): no memories, every edge without a saddle
    half = rd.dynamics.hypercube(sk, 0.5 * outputs)
    assert half["memories"] == [] and len(half["edges_without_saddle"]) == 12
    with pytest.raises(ValueError, match="outputs must have shape"):
        rd.dynamics.hypercube(sk, outputs[:3])
    with pytest.raises(TypeError, match="skeleton must be a Skeleton"):
        rd.dynamics.hypercube(sk.fixed_points, outputs)


# -- trained flip-flops ---------------------------------------------------------------------------


def _corner_memories(net: rd.ESN, sk: rd.Skeleton) -> tuple[np.ndarray, np.ndarray]:
    """The attractors whose outputs are at a corner of the output cube (|z_i| ≈ 1), and their
    bits."""
    outputs = net.output_of(sk.attractor_states)
    corner = np.flatnonzero(np.all(np.abs(np.abs(outputs) - 1) < 0.2, axis=1))
    return corner, (outputs[corner] > 0).astype(int)


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "unjoined"), [(0, 0), (2, 0), (3, 2), (5, 0)])
def test_trained_3_bit_flipflop_memories_and_edges(seed: int, unjoined: int) -> None:
    from conftest import trained_flipflop
    from free_runs import direct_pairs, one_bit_pairs

    net, _, test = trained_flipflop(3, seed)
    starts = rd.sample_states(test.states, 256, seed=0)
    sk = rd.skeleton(net, starts, n_jobs=2)
    corner, bits = _corner_memories(net, sk)
    assert len(corner) == 8 and len({tuple(b) for b in bits}) == 8
    # each is a stable fixed point of the network, and its free run stays there
    fps = sk.fixed_points[sk.attractor_index[corner]]
    assert np.all(fps.is_stable) and np.all(fps.q <= 1e-20)
    rest = net.copy()
    rest.state = sk.attractor_states[corner[0]]
    np.testing.assert_allclose(rest.run(np.zeros((200, 3))).states[-1], rest.state, atol=1e-8)
    # the one-bit pairs whose segment passes directly between their basins (plain NumPy free
    # runs) are adjacent in the skeleton, and a 1-saddle joins each: on seeds 0, 2 and 5
    # every one; on seed 3 all but two mirror pairs, whose tracked boundaries meet a third
    # basin (the search from the jittered boundary points joins two others that tracking
    # alone left unjoined)
    direct = direct_pairs(
        net, sk.attractor_states, one_bit_pairs(net.output_of(sk.attractor_states))[1]
    )
    assert len(direct) >= 6
    assert set(direct) <= {tuple(p) for p in sk.adjacent.tolist()}
    left = {tuple(p) for p in sk.unjoined().tolist()}
    assert all((p in sk.joined()) != (p in left) for p in direct)
    assert sum(p not in sk.joined() for p in direct) == unjoined
    # each boundary's saddle: the 1-saddle joining the pair, or where tracking came to rest
    # (a 1-saddle joining others), or none (-1: the runs never came to rest)
    saddle = dict(zip(map(tuple, sk.adjacent.tolist()), sk.boundary_saddle.tolist(), strict=True))
    for pair in direct:
        row = saddle[pair]
        joins = [tuple(e) for e in sk.edges[sk.edges[:, 0] == row, 1:].tolist()]
        assert row == -1 or sk.fixed_points.unstable_dims[row] == 1
        assert (pair in joins) == (pair in sk.joined())


def test_edges_name_their_saddles_after_branches_find_new_points() -> None:
    # barely trained networks (as the quick benchmark trains them): the branches of their
    # saddles come to rest at points the search had not found, which reorders the points;
    # each edge must still name the row of its 1-saddle. Three networks: whether one of them
    # has 1-saddles at all turns on rounding, which differs between machines (seed 0 after
    # 400 steps has none on some)
    adopted = 0
    for seed, steps in [(0, 600), (1, 400), (2, 400)]:
        task = rd.tasks.FlipFlop(3, seed=seed)
        net = rd.ESN(100, 3, 3, seed=seed)
        rd.train_force(net, task.sample(steps))
        starts, _ = rd.flipflop_starts(net, 8, seed=0)
        searched = rd.find_fixed_points(net, starts, n_jobs=1)
        sk = rd.skeleton(net, starts, n_jobs=1)
        assert np.all(sk.fixed_points.unstable_dims[sk.edges[:, 0]] == 1)
        adopted += len(sk.edges) > 0 and len(sk.fixed_points) > np.sum(searched.kind == "fixed")
        for path in rd.skeleton_branches(net, sk):
            assert path.shape[0] >= 1 and np.all(np.isfinite(path))
    assert adopted >= 2
