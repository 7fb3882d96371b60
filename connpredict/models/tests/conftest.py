"""Fixtures of the model tests."""

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def assert_no_leakage():
    """Check that a model's predictions ignore ``Y`` outside its train block.

    The returned function fits ``make_model()`` on the first ``n_train``
    regions twice: once with ``Y`` and once with every entry outside the
    train x train block replaced by noise. The predictions for all regions
    must be identical.
    """

    def check(make_model, X, Y, n_train=26):
        train = X.index[:n_train]
        vals = Y.to_numpy().copy()
        outside = np.ones(vals.shape, dtype=bool)
        outside[:n_train, :n_train] = False
        vals[outside] = np.random.default_rng(1).normal(size=outside.sum())
        noisy = pd.DataFrame(vals, index=Y.index, columns=Y.columns)
        p1 = make_model().fit(X.loc[train], Y.loc[train]).predict(X)
        p2 = make_model().fit(X.loc[train], noisy.loc[train]).predict(X)
        np.testing.assert_array_equal(np.asarray(p1), np.asarray(p2))

    return check
