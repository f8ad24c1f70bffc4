"""PCA against NumPy's eigendecomposition of the covariance; basis reuse; persistence; bad input."""

from __future__ import annotations

import numpy as np
import pytest
import rnndyn as rd
from rnndyn._io import save_archive


@pytest.fixture
def data() -> np.ndarray:
    """(200, 6) correlated samples with distinct variances and a non-zero mean."""
    rng = np.random.default_rng(3)
    mixing = rng.normal(size=(6, 6)) * np.array([5.0, 3.0, 2.0, 1.0, 0.5, 0.2])[:, None]
    return rng.normal(size=(200, 6)) @ mixing + np.arange(6.0)


def test_components_and_variances_match_the_covariance(data):
    pca = rd.PCA(4).fit(data)
    values, vectors = np.linalg.eigh(np.cov(data, rowvar=False))
    values, vectors = values[::-1], vectors[:, ::-1]  # descending
    np.testing.assert_allclose(pca.explained_variance_, values[:4], rtol=1e-10)
    np.testing.assert_allclose(pca.explained_variance_ratio_, values[:4] / values.sum(), rtol=1e-10)
    np.testing.assert_allclose(
        pca.singular_values_**2 / (data.shape[0] - 1), values[:4], rtol=1e-10
    )
    # the same axes up to sign
    np.testing.assert_allclose(np.abs(pca.components_ @ vectors[:, :4]), np.eye(4), atol=1e-9)
    np.testing.assert_allclose(pca.components_ @ pca.components_.T, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(pca.mean_, data.mean(axis=0), rtol=1e-12)
    assert pca.n_features_in_ == 6
    assert pca.components_.shape == (4, 6)


def test_signs_are_deterministic(data):
    pca = rd.PCA(3).fit(data)
    largest = np.argmax(np.abs(pca.components_), axis=1)
    assert np.all(pca.components_[np.arange(3), largest] > 0)
    # negated or reordered samples have the same axes, so they get the same basis
    for other in (-data, data[::-1]):
        np.testing.assert_allclose(rd.PCA(3).fit(other).components_, pca.components_, atol=1e-12)


def test_transform_and_round_trip(data):
    pca = rd.PCA(6)
    scores = pca.fit_transform(data)
    np.testing.assert_allclose(scores, (data - data.mean(axis=0)) @ pca.components_.T, atol=1e-12)
    np.testing.assert_allclose(scores.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(np.var(scores, axis=0, ddof=1), pca.explained_variance_, rtol=1e-10)
    np.testing.assert_allclose(pca.inverse_transform(scores), data, atol=1e-10)
    # any leading shape: one state (N,) and a stack (S, T, N)
    assert pca.transform(data[0]).shape == (6,)
    stack = np.stack([data[:10], data[10:20]])
    np.testing.assert_allclose(pca.transform(stack)[1], scores[10:20], atol=1e-12)
    assert pca.inverse_transform(pca.transform(stack)).shape == stack.shape


def test_inverse_of_fewer_components_is_the_projection(data):
    pca = rd.PCA(2).fit(data)
    projected = pca.inverse_transform(pca.transform(data))
    np.testing.assert_allclose(pca.transform(projected), pca.transform(data), atol=1e-10)


def test_one_basis_reused_on_new_data(data):
    pca = rd.PCA(3).fit(data)
    components = pca.components_.copy()
    shift = np.linspace(-1, 1, 6)
    np.testing.assert_allclose(
        pca.transform(data + shift), pca.transform(data) + components @ shift, atol=1e-10
    )
    np.testing.assert_array_equal(pca.components_, components)  # transform does not refit


def test_constant_data_explains_nothing():
    pca = rd.PCA(1).fit(np.ones((5, 3)))
    np.testing.assert_array_equal(pca.explained_variance_ratio_, [0.0])


def test_save_and_load(data, tmp_path):
    pca = rd.PCA(3).fit(data)
    loaded = rd.PCA.load(pca.save(tmp_path / "basis"))
    assert loaded.n_components == 3
    for name in (
        "components_",
        "mean_",
        "explained_variance_",
        "explained_variance_ratio_",
        "singular_values_",
    ):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(pca, name))
    np.testing.assert_array_equal(loaded.transform(data), pca.transform(data))
    other = save_archive(tmp_path / "other", "FixedPoints", {"x": np.zeros(2)}, {})
    with pytest.raises(ValueError, match="not a 'PCA'"):
        rd.PCA.load(other)
    with pytest.raises(ValueError, match="not fitted"):
        rd.PCA(2).save(tmp_path / "unfitted")


@pytest.mark.parametrize(
    ("n_components", "error", "match"),
    [
        (0, ValueError, "n_components"),
        (2.5, TypeError, "n_components"),
        (True, TypeError, "n_components"),
    ],
)
def test_bad_n_components(n_components, error, match):
    with pytest.raises(error, match=match):
        rd.PCA(n_components)


def test_bad_data(data):
    with pytest.raises(ValueError, match=r"n_components must be <= min\(T, N\) = 6"):
        rd.PCA(7).fit(data)
    with pytest.raises(ValueError, match=r"n_components must be <= min\(T, N\) = 3"):
        rd.PCA(4).fit(data[:3])
    with pytest.raises(ValueError, match="X must have shape"):
        rd.PCA(1).fit(data[0])
    with pytest.raises(ValueError, match="at least 2 samples"):
        rd.PCA(1).fit(data[:1])
    bad = data.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="X must be finite"):
        rd.PCA(1).fit(bad)
    with pytest.raises(TypeError, match="X must be an array of numbers"):
        rd.PCA(1).fit([[1.0, 2.0], [3.0]])
    pca = rd.PCA(2).fit(data)
    with pytest.raises(ValueError, match=r"X must have shape \(any, 6\)"):
        pca.transform(data[:, :5])
    with pytest.raises(ValueError, match=r"Y must have shape \(any, 2\)"):
        pca.inverse_transform(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="not fitted"):
        rd.PCA(2).transform(data)
