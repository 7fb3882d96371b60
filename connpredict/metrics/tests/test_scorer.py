"""Scorers inside scikit-learn's model selection tools."""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from scipy.spatial.distance import cdist
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

from connpredict.metrics import (
    ConnectomeScorer,
    get_scorer,
    get_scorer_names,
    make_scorer,
    mean_absolute_error,
)
from connpredict.models._base import BaseConnectomeRegressor
from connpredict.utils import upper_triangle


class _DecayModel(BaseConnectomeRegressor):
    """Test-local model: connectivity = a + b * exp(-distance / scale)."""

    _requires_coords = True

    def __init__(self, scale=20.0):
        self.scale = scale

    def _fit(self, X, Y_block):
        _, c = self._split(X)
        f = upper_triangle(np.exp(-cdist(c, c) / self.scale))
        A = np.column_stack([np.ones_like(f), f])
        self.coef_ = np.linalg.lstsq(A, upper_triangle(Y_block), rcond=None)[0]
        self.X_train_ = X  # harmless if the base class already stores it
        return self

    def _predict_block(self, X_rows, X_cols):
        _, a = self._split(X_rows)
        _, b = self._split(X_cols)
        return self.coef_[0] + self.coef_[1] * np.exp(-cdist(a, b) / self.scale)


def _data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    labels = [f"r{i}" for i in range(n)]
    coords = rng.uniform(-70, 70, size=(n, 3))
    X = pd.DataFrame(rng.normal(size=(n, 2)), index=labels, columns=["g1", "g2"])
    X[["x", "y", "z"]] = coords
    E = rng.normal(scale=0.15, size=(n, n))
    Y = 0.8 * np.exp(-cdist(coords, coords) / 30) + (E + E.T) / 2 - 0.2
    np.fill_diagonal(Y, 0.0)
    Y = pd.DataFrame(Y, labels, labels)
    regions = pd.DataFrame(
        {"network": [("Vis", "Default")[i % 2] for i in range(n)]},
        index=labels,
    )
    return X, Y, regions


def _manual_fold_scores(X, Y, cv, regions):
    """Per fold: fit on train rows, score the test x test block directly."""
    out = {"r": [], "mse": [], "tt_r": [], "vis": []}
    for train, test in cv.split(X):
        model = _DecayModel().fit(X.iloc[train], Y.iloc[train])
        te, tr = X.index[test], X.index[train]
        P = np.asarray(model.predict(X.loc[te]))
        T = Y.loc[te, te].to_numpy()
        iu = np.triu_indices(len(te), 1)
        out["r"].append(scipy.stats.pearsonr(T[iu], P[iu])[0])
        out["mse"].append(-np.mean((T[iu] - P[iu]) ** 2))
        Pc = np.asarray(model.predict(X.loc[te], X.loc[tr]))
        Tc = Y.loc[te, tr].to_numpy()
        out["tt_r"].append(scipy.stats.pearsonr(Tc.ravel(), Pc.ravel())[0])
        vis = [k for k, lab in enumerate(te) if regions.loc[lab, "network"] == "Vis"]
        pairs = [(a, b) for a in vis for b in vis if a < b]
        if len(pairs) < 3:
            out["vis"].append(np.nan)
        else:
            t = [T[a, b] for a, b in pairs]
            p = [P[a, b] for a, b in pairs]
            out["vis"].append(scipy.stats.pearsonr(t, p)[0])
    return {k: np.array(v) for k, v in out.items()}


def test_cross_validate_with_several_scorers():
    X, Y, regions = _data()
    cv = KFold(n_splits=4, shuffle=True, random_state=0)
    scoring = {
        "r": get_scorer("pearson_r"),
        "mse": get_scorer("neg_mse"),
        "mae": get_scorer("neg_mae"),
        "long": get_scorer("long_r"),
        "geo": get_scorer("neg_geodesic_distance"),
        "vis": get_scorer("intra_network_Vis_r", regions=regions, min_pairs=3),
        "tt_r": get_scorer("pearson_r", pairs="test-train"),
    }
    res = cross_validate(_DecayModel(), X, Y, cv=cv, scoring=scoring)
    manual = _manual_fold_scores(X, Y, cv, regions)
    np.testing.assert_allclose(res["test_r"], manual["r"], rtol=1e-10)
    np.testing.assert_allclose(res["test_mse"], manual["mse"], rtol=1e-10)
    np.testing.assert_allclose(res["test_tt_r"], manual["tt_r"], rtol=1e-10)
    assert np.all(res["test_mae"] < 0) and np.all(res["test_geo"] < 0)
    np.testing.assert_allclose(res["test_vis"], manual["vis"], rtol=1e-10)
    assert np.isfinite(res["test_vis"]).sum() >= 2
    assert np.all(res["test_r"] > 0.3)  # the decay model does learn something


def test_test_train_scorer_direct():
    X, Y, _ = _data(seed=1)
    test, train = X.index[:10], X.index[10:]
    model = _DecayModel().fit(X.loc[train], Y.loc[train])
    scorer = get_scorer("neg_mae", pairs="test-train")
    P = model.predict(X.loc[test], X.loc[train]).to_numpy()
    T = Y.loc[test, train].to_numpy()
    # Y rows of the test regions, all columns (as cross-validation passes them)
    assert scorer(model, X.loc[test], Y.loc[test]) == pytest.approx(
        -np.mean(np.abs(T - P))
    )
    with pytest.raises(ValueError, match="DataFrame"):
        scorer(model, X.loc[test], Y.loc[test].to_numpy())

    class NoTrain:
        def predict(self, X, X_other=None):
            return np.zeros((len(X), len(X)))

    with pytest.raises(ValueError, match="X_train_"):
        scorer(NoTrain(), X.loc[test], Y.loc[test])


def test_gridsearch_and_parallel_cross_val_score():
    X, Y, _ = _data(n=24, seed=2)
    cv = KFold(n_splits=3, shuffle=True, random_state=1)
    search = GridSearchCV(
        _DecayModel(),
        {"scale": [5.0, 30.0]},
        cv=cv,
        scoring={"r": get_scorer("pearson_r"), "mse": get_scorer("neg_mse")},
        refit="r",
    ).fit(X, Y)
    assert search.best_params_["scale"] == 30.0
    assert np.isfinite(search.cv_results_["mean_test_mse"]).all()
    scoring = get_scorer({"rho": "spearman_r", "mae": "neg_mae"})
    assert isinstance(scoring["rho"], ConnectomeScorer)
    serial = cross_validate(_DecayModel(), X, Y, cv=cv, scoring=scoring)
    parallel = cross_validate(_DecayModel(), X, Y, cv=cv, scoring=scoring, n_jobs=2)
    for key in ("test_rho", "test_mae"):
        np.testing.assert_allclose(serial[key], parallel[key])
    assert np.all(serial["test_rho"] > 0)


def test_scorer_names_signs_and_copies():
    names = get_scorer_names()
    for key in (
        "pearson_r",
        "spearman_r",
        "r2",
        "neg_mse",
        "neg_mae",
        "neg_geodesic_distance",
        "short_r",
        "strong_pos_r",
        "inter_hemi_r",
        "accuracy",
        "roc_auc",
    ):
        assert key in names
    assert names == sorted(names)
    assert get_scorer("neg_mse").sign == -1 and get_scorer("pearson_r").sign == 1
    a, b = get_scorer("pearson_r"), get_scorer("pearson_r")
    assert a is not b
    custom = make_scorer(mean_absolute_error, greater_is_better=False)
    assert get_scorer(custom) is not custom
    many = get_scorer(["pearson_r", "neg_mae"], pairs="test-train")
    assert list(many) == ["pearson_r", "neg_mae"]
    assert all(s.pairs == "test-train" for s in many.values())


def test_scorers_pickle():
    X, Y, regions = _data(n=16, seed=3)
    model = _DecayModel().fit(X, Y)
    scorer = get_scorer("intra_network_r", regions=regions, min_pairs=3)
    clone_ = pickle.loads(pickle.dumps(scorer))
    assert clone_(model, X, Y) == pytest.approx(scorer(model, X, Y))


def test_unknown_names_and_sklearn_fallback():
    with pytest.raises(ValueError, match="pearson_r"):
        get_scorer("no_such_metric")
    with pytest.raises(ValueError, match="neg_mse"):
        get_scorer("mse")
    # scikit-learn names without a connectome equivalent are refused (they
    # would compare the predicted block with Y row by row)
    with pytest.raises(ValueError, match=r"scikit-learn scorer.*neg_mse"):
        get_scorer("explained_variance")
    with pytest.raises(ValueError, match="row by row"):
        get_scorer("neg_root_mean_squared_error", pairs="test-train")
    with pytest.raises(ValueError, match="pairs"):
        get_scorer("pearson_r", pairs="train-train")


def test_scorer_matches_estimator_score_and_custom_callable():
    X, Y, _ = _data(n=20, seed=4)
    model = clone(_DecayModel()).fit(X.iloc[:12], Y.iloc[:12])
    Xt, Yt = X.iloc[12:], Y.iloc[12:]
    assert get_scorer("pearson_r")(model, Xt, Yt) == pytest.approx(model.score(Xt, Yt))
    mae = make_scorer(mean_absolute_error, greater_is_better=False)
    assert mae(model, Xt, Yt) == pytest.approx(get_scorer("neg_mae")(model, Xt, Yt))
    with pytest.raises(ValueError, match="sample_weight"):
        mae(model, Xt, Yt, sample_weight=np.ones(8))


def test_network_scorer_needs_regions():
    X, Y, _ = _data(n=16, seed=5)
    model = _DecayModel().fit(X, Y)
    with pytest.raises(ValueError, match="network"):
        get_scorer("intra_network_Vis_r")(model, X, Y)
