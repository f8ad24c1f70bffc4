"""Memory geometry: hypercube edges per bit and the spread over principal components."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import rnndyn as rd


def _box(sides: list[float], n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Corners of a box with the given side lengths, rotated into n dimensions, and their
    codes as outputs (scaled, so that only the signs count)."""
    codes = np.array(list(itertools.product([-1, 1], repeat=len(sides))), dtype=float)
    rotation, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(n, len(sides))))
    points = (codes * np.array(sides) / 2) @ rotation.T + 3.0
    return points, 0.9 * codes


def test_a_box_has_its_sides_as_edge_lengths():
    points, outputs = _box([1.0, 2.0, 2.0, 4.0])
    geometry = rd.memory_geometry(points, outputs)
    assert geometry.edges.shape == (32, 2)  # a tesseract: 16 corners, 32 edges
    np.testing.assert_allclose(geometry.bit_lengths, [1, 2, 2, 4])
    assert geometry.anisotropy == pytest.approx(4.0)
    for (i, j), bit, length in zip(
        geometry.edges, geometry.edge_bits, geometry.edge_lengths, strict=True
    ):
        assert np.sum(geometry.codes[i] != geometry.codes[j]) == 1
        assert geometry.codes[i, bit] != geometry.codes[j, bit]
        assert length == pytest.approx(np.linalg.norm(points[i] - points[j]))
    np.testing.assert_allclose(geometry.bit_cosines, np.eye(4), atol=1e-12)
    assert geometry.skew == pytest.approx(0.0, abs=1e-12)
    # variance along each side is (side/2)², a fifth component explains nothing
    sides = np.array([4.0, 2.0, 2.0, 1.0])
    np.testing.assert_allclose(
        geometry.explained_variance_ratio, [*(sides**2 / np.sum(sides**2)), 0], atol=1e-12
    )


def test_a_cube_with_equal_sides_is_isotropic():
    geometry = rd.memory_geometry(*_box([1.5, 1.5, 1.5]))
    assert geometry.anisotropy == pytest.approx(1.0)
    assert geometry.edge_spread == pytest.approx(0.0, abs=1e-12)
    assert geometry.as_dict()["edges"] == 12


def test_a_sheared_box_shows_the_angle_between_its_bits():
    # corners c0·e0 + c1·(cos 60°·e0 + sin 60°·e1): a rhombus, both sides 1, 60° apart
    codes = np.array(list(itertools.product([-1, 1], repeat=2)), dtype=float)
    sides = np.array([[1.0, 0.0, 0.0], [0.5, np.sqrt(3) / 2, 0.0]]) / 2
    geometry = rd.memory_geometry(codes @ sides, codes)
    np.testing.assert_allclose(geometry.bit_lengths, [1, 1])
    np.testing.assert_allclose(geometry.bit_cosines, [[1, 0.5], [0.5, 1]], atol=1e-12)
    assert geometry.skew == pytest.approx(0.5)


def test_missing_or_repeated_memories_are_refused():
    points, outputs = _box([1.0, 1.0])
    with pytest.raises(ValueError, match="share a sign pattern"):
        rd.memory_geometry(np.vstack([points, points[:1]]), np.vstack([outputs, outputs[:1]]))
    # the two corners of one diagonal: no edge at all
    with pytest.raises(ValueError, match=r"bit\(s\) \[0, 1\]"):
        rd.memory_geometry(points[[0, 3]], outputs[[0, 3]])
    with pytest.raises(ValueError, match="outputs must have shape"):
        rd.memory_geometry(points, outputs[:2])


def _squashed_tesseract(diagonal: list[float], n: int = 12) -> np.ndarray:
    """A unit tesseract's corners squashed to half along the bits' `diagonal`, so that the
    diagonal is the memories' fourth principal axis, rotated into n dimensions."""
    codes = np.array(list(itertools.product([-1, 1], repeat=4)), dtype=float)
    d = np.array(diagonal) / np.linalg.norm(diagonal)
    squash = np.eye(4) - 0.5 * np.outer(d, d)
    rotation, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(n, 4)))
    return (codes / 2) @ squash @ rotation.T


@pytest.mark.parametrize(
    ("diagonal", "bits"),
    [
        ([0, 0, 0, 1], 1.0),  # the 3-D picture drops one bit: a cube (cell-first)
        ([1, 1, 0, 0], 2.0),  # two bits alike: a cuboid (face-first)
        ([1, 1, 1, 0], 3.0),  # three: a hexagonal prism (edge-first)
        ([1, 1, 1, 1], 4.0),  # all four: vertex-first
    ],
)
def test_projection_bits_names_the_tesseracts_projection(diagonal, bits):
    points = _squashed_tesseract(diagonal)
    codes = np.array(list(itertools.product([-1, 1], repeat=4)), dtype=float)
    geometry = rd.memory_geometry(points, codes)
    assert geometry.projection_bits == pytest.approx(bits)
    assert geometry.as_dict()["projection_bits"] == pytest.approx(bits)
    # the edges alone do not tell these apart: the squash shortens every bit on the diagonal
    assert geometry.anisotropy == pytest.approx(1.0 if bits == 4 else 1 / np.sqrt(1 - 0.75 / bits))


def test_projection_bits_of_a_box_and_of_three_bits():
    assert rd.memory_geometry(*_box([1.0, 2.0, 2.0, 4.0])).projection_bits == pytest.approx(1.0)
    three = rd.memory_geometry(*_box([1.0, 2.0, 3.0]))
    assert three.projection_bits is None and three.as_dict()["projection_bits"] is None
