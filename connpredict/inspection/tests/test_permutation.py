import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from connpredict.datasets import make_synthetic_connectome
from connpredict.inspection import permutation_importance
from connpredict.metrics import get_scorer
from connpredict.model_selection import RandomSplit
from connpredict.models import BilinearRegressor, ExponentialDecayRegressor
from connpredict.nulls import spin_permutations


@pytest.fixture(scope="module")
def ds():
    return make_synthetic_connectome(n_regions=30, n_genes=5, random_state=0)


def _hand_loop(model, X, Y, cv, perms, columns_of):
    """Importances written out: fit on train regions, replace held-out maps."""
    out = np.zeros((len(columns_of), len(perms)))
    splits = list(cv.split(X))
    for tr, te in splits:
        fitted = clone(model).fit(X.iloc[tr], Y.iloc[tr])
        X_te = X.iloc[te]
        Y_te = Y.iloc[te, te]
        base = fitted.score(X_te, Y_te)
        for g, cols in enumerate(columns_of):
            for r, perm in enumerate(perms):
                Xp = X_te.copy()
                for c in cols:
                    Xp[c] = X[c].to_numpy()[perm[te]]
                out[g, r] += (base - fitted.score(Xp, Y_te)) / len(splits)
    return out


@pytest.mark.parametrize("null", ["spin", "shuffle"])
def test_matches_hand_loop(ds, null):
    model = BilinearRegressor(alpha=1.0)
    cv = RandomSplit(3, random_state=0)
    res = permutation_importance(
        model,
        ds.X,
        ds.Y,
        cv=cv,
        null=null,
        regions=ds.regions,
        n_repeats=4,
        random_state=0,
    )
    rng = np.random.RandomState(0)
    if null == "spin":
        perms = spin_permutations(ds.regions, 4, random_state=rng)
    else:
        perms = [rng.permutation(30) for _ in range(4)]
    np.testing.assert_array_equal(res.permutations, np.asarray(perms))
    expected = _hand_loop(model, ds.X, ds.Y, cv, perms, [[g] for g in ds.genes])
    np.testing.assert_allclose(res.importances.to_numpy(), expected, atol=1e-12)
    np.testing.assert_allclose(res.importances_mean, expected.mean(1), atol=1e-12)
    np.testing.assert_allclose(res.importances_std, expected.std(1, ddof=1), atol=1e-12)
    assert list(res.importances.index) == list(ds.genes)
    # p-value: (1 + #(importance <= 0)) / (1 + n_repeats)
    np.testing.assert_allclose(res.pvalues, (1 + (expected <= 0).sum(1)) / 5)


def test_groups_and_coords_block(ds):
    model = ExponentialDecayRegressor()
    groups = {"coords": ["x", "y", "z"], "genes": list(ds.genes)}
    cv = RandomSplit(3, random_state=1)
    res = permutation_importance(
        model,
        ds.X,
        ds.Y,
        cv=cv,
        groups=groups,
        regions=ds.regions,
        n_repeats=3,
        random_state=2,
    )
    perms = spin_permutations(ds.regions, 3, random_state=np.random.RandomState(2))
    expected = _hand_loop(model, ds.X, ds.Y, cv, perms, list(groups.values()))
    np.testing.assert_allclose(res.importances.to_numpy(), expected, atol=1e-12)
    # a distance model ignores genes entirely, and needs its coordinates
    assert np.all(res.importances.loc["genes"] == 0)
    assert res.importances_mean["coords"] > 0


def test_no_leakage_of_held_out_connectivity(ds):
    """The fit never sees Y outside the train x train block.

    With one fold, scramble every entry of Y outside the train x train block
    and score against the true Y: the importances are identical, so nothing
    of the held-out connectivity reached the fitted model.
    """
    n = len(ds.X)
    rng = np.random.RandomState(0)
    test = np.sort(rng.choice(n, 10, replace=False))
    train = np.setdiff1d(np.arange(n), test)
    noisy = ds.Y.to_numpy().copy()
    E = rng.randn(n, n) * 5
    E = E + E.T
    keep = np.zeros((n, n), bool)
    keep[np.ix_(train, train)] = True
    noisy[~keep] = E[~keep]
    Y_noisy = pd.DataFrame(noisy, index=ds.Y.index, columns=ds.Y.columns)
    pearson = get_scorer("pearson_r")

    def true_score(estimator, X, Y):  # ignores the Y it is given
        return pearson(estimator, X, ds.Y.loc[X.index])

    kwargs = dict(
        cv=[(train, test)],
        regions=ds.regions,
        n_repeats=3,
        random_state=0,
        scoring=true_score,
    )
    model = BilinearRegressor(alpha="gcv")
    clean = permutation_importance(model, ds.X, ds.Y, **kwargs)
    scrambled = permutation_importance(model, ds.X, Y_noisy, **kwargs)
    np.testing.assert_array_equal(
        clean.importances.to_numpy(), scrambled.importances.to_numpy()
    )
    assert clean.baseline_score == scrambled.baseline_score
    assert np.any(clean.importances.to_numpy() != 0)


def test_spin_needs_sphere_coordinates(ds):
    model = BilinearRegressor(alpha=1.0)
    with pytest.raises(ValueError, match="atlas_regions"):
        permutation_importance(model, ds.X, ds.Y, cv=3, null="spin")
    with pytest.raises(ValueError, match="atlas_regions"):
        permutation_importance(
            model, ds.X, ds.Y, cv=3, regions=ds.regions.drop(columns="sphere_x")
        )


def test_bad_groups(ds):
    model = BilinearRegressor(alpha=1.0)
    with pytest.raises(ValueError, match="not in X"):
        permutation_importance(
            model,
            ds.X,
            ds.Y,
            cv=3,
            groups={"a": ["nope", ds.genes[0]]},
            null="shuffle",
        )
    with pytest.raises(ValueError, match="n_repeats"):
        permutation_importance(model, ds.X, ds.Y, cv=3, n_repeats=0, null="shuffle")
    with pytest.raises(ValueError, match="null must be"):
        permutation_importance(model, ds.X, ds.Y, cv=3, null="gaussian")
    groups = {"a": list(ds.genes[:3]), "b": list(ds.genes[2:])}
    with pytest.warns(UserWarning, match="more than one group"):
        res = permutation_importance(
            model,
            ds.X,
            ds.Y,
            cv=RandomSplit(3, random_state=0),
            groups=groups,
            null="shuffle",
            n_repeats=2,
            random_state=0,
        )
    assert list(res.importances.index) == ["a", "b"]


def _regressor_specs():
    from connpredict.models import model_specs

    return [s for s in model_specs() if s.task == "regression" and s.family != "meta"]


@pytest.mark.parametrize("spec", _regressor_specs(), ids=lambda s: s.name)
def test_every_registered_regressor_runs(spec):
    """Any registered regressor works through predict (its small test settings)."""
    import connpredict.models

    small = make_synthetic_connectome(n_regions=18, n_genes=4, random_state=1)
    model = getattr(connpredict.models, spec.name)(**spec.test_params[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = permutation_importance(
            model,
            small.X,
            small.Y,
            cv=RandomSplit(2, random_state=0),
            regions=small.regions,
            n_repeats=2,
            random_state=0,
            groups={"genes": list(small.genes), "coords": ["x", "y", "z"]},
        )
    assert np.isfinite(res.baseline_score), spec.name
    assert np.all(np.isfinite(res.importances.to_numpy()))
