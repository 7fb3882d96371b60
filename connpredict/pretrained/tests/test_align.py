"""Gene alignment and coordinate checks on a new atlas."""

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

from connpredict.datasets import make_synthetic_connectome
from connpredict.models import BilinearRegressor
from connpredict.pretrained import (
    align_regions,
    check_mni_coordinates,
    load_estimator,
    save_estimator,
)


@pytest.fixture(scope="module")
def fitted():
    ds = make_synthetic_connectome(n_regions=30, n_genes=10, random_state=0)
    return BilinearRegressor(n_components=4).fit(ds.X, ds.Y), ds


def test_columns_matched_by_name_order_irrelevant(fitted):
    model, ds = fitted
    shuffled = ds.X[list(np.random.default_rng(0).permutation(ds.X.columns))]
    before = shuffled.copy()
    out = align_regions(model, shuffled)
    pd.testing.assert_frame_equal(out, ds.X.astype(float))
    pd.testing.assert_frame_equal(shuffled, before)  # caller's table untouched
    np.testing.assert_array_equal(model.predict(out), model.predict(ds.X))


def test_missing_genes_filled_with_training_means_and_warned(fitted):
    model, ds = fitted
    genes = [c for c in ds.X.columns if c not in ("x", "y", "z")]
    X = ds.X.drop(columns=genes[:2])  # 8 of 10 genes: coverage 80%
    with pytest.warns(
        UserWarning, match=r"8 of the model's 10 genes \(coverage 80.0%\)"
    ):
        out = align_regions(model, X)
    for g in genes[:2]:
        np.testing.assert_allclose(out[g], np.full(len(X), ds.X[g].mean()))
    # same fill from a model saved without its training table
    assert list(out.columns) == list(ds.X.columns)


def test_fill_from_feature_means_of_a_file_without_training_data(fitted, tmp_path):
    model, ds = fitted
    loaded = load_estimator(
        save_estimator(model, tmp_path / "m.npz", training_data=False)
    )
    assert not hasattr(loaded, "X_train_")
    genes = [c for c in ds.X.columns if c not in ("x", "y", "z")]
    X = ds.X.drop(columns=genes[:1])
    with pytest.warns(UserWarning, match="coverage 90.0%"):
        out = align_regions(loaded, X)
    np.testing.assert_allclose(out[genes[0]], ds.X[genes[0]].mean())
    np.testing.assert_array_equal(loaded.predict(ds.X), model.predict(ds.X))


def test_too_few_genes_refused(fitted):
    model, ds = fitted
    genes = [c for c in ds.X.columns if c not in ("x", "y", "z")]
    X = ds.X.drop(columns=genes[:3])  # 70%
    with pytest.raises(ValueError, match=r"7 of the model's 10 genes \(70%\)"):
        align_regions(model, X)
    with pytest.warns(UserWarning, match="coverage 70.0%"):
        align_regions(model, X, min_coverage=0.7)


def test_extra_genes_ignored_with_a_note(fitted, caplog):
    model, ds = fitted
    X = ds.X.assign(NOTAGENE=1.0)
    with caplog.at_level(logging.INFO, logger="connpredict.pretrained"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = align_regions(model, X)
    assert "NOTAGENE" not in out.columns
    assert "Ignoring 1 column" in caplog.text


def test_duplicated_labels_and_nan_rows_refused(fitted):
    model, ds = fitted
    dup = ds.X.rename(index={ds.X.index[1]: ds.X.index[0]})
    with pytest.raises(ValueError, match="Region labels must be unique"):
        align_regions(model, dup)
    nan = ds.X.copy()
    genes = [c for c in ds.X.columns if c not in ("x", "y", "z")]
    nan.loc[nan.index[3], genes] = np.nan
    with pytest.raises(ValueError, match=r"1 region.* no expression values"):
        align_regions(model, nan)
    part = ds.X.copy()
    part.loc[part.index[4], genes[0]] = np.nan
    with pytest.raises(ValueError, match="missing \\(NaN\\)"):
        align_regions(model, part)
    with pytest.raises(TypeError, match="DataFrame"):
        align_regions(model, ds.X.to_numpy())


def _coords(x, y, z):
    return pd.DataFrame({"x": x, "y": y, "z": z})


def test_mni_check():
    check_mni_coordinates(_coords([-50.0, 50.0, 0.0], [-90.0, 60.0, 0.0], [-30, 60, 0]))
    with pytest.raises(ValueError, match="voxel indices"):
        check_mni_coordinates(_coords([10, 80, 45], [20, 100, 60], [5, 70, 30]))
    with pytest.raises(ValueError, match="span less than 20 mm"):
        check_mni_coordinates(
            _coords([-0.05, 0.05, 0.0], [-0.09, 0.06, 0], [0, 0.6, -5])
        )
    with pytest.raises(ValueError, match="outside the MNI152 brain"):
        check_mni_coordinates(_coords([-150.0, 50.0], [0.0, 10.0], [0.0, 10.0]))
    with pytest.raises(ValueError, match="span less than 20 mm"):
        check_mni_coordinates(_coords([-1.0, 1.0], [-2.0, 1.5], [0.5, -0.5]))
    with pytest.raises(ValueError, match="missing or infinite"):
        check_mni_coordinates(_coords([-40.0, np.nan], [0.0, 10.0], [0.0, 10.0]))
    with pytest.raises(ValueError, match="lacks coordinate"):
        check_mni_coordinates(pd.DataFrame({"x": [1.0], "y": [2.0]}))


def test_fractional_voxel_centroids_refused_and_one_hemisphere_accepted():
    rng = np.random.default_rng(0)
    # centres of mass computed in voxel space: fractional, all >= 0
    vox = rng.uniform([10, 12, 5], [80, 100, 75], size=(40, 3))
    with pytest.raises(ValueError, match="voxel indices"):
        check_mni_coordinates(_coords(*vox.T))
    # a left-hemisphere atlas in MNI millimetres (every x < 0) is fine, and so
    # is a right one (x > 0, but y and z on both sides of the origin)
    left = np.column_stack(
        [rng.uniform(-70, -5, 40), rng.uniform(-100, 65, 40), rng.uniform(-40, 75, 40)]
    )
    check_mni_coordinates(_coords(*left.T))
    right = left * [-1, 1, 1]
    check_mni_coordinates(_coords(*right.T))


def test_voxel_coordinates_refused_by_align(fitted):
    model, ds = fitted
    X = ds.X.copy()
    X[["x", "y", "z"]] = np.arange(90).reshape(30, 3) + 10
    with pytest.raises(ValueError, match="voxel indices"):
        align_regions(model, X)
