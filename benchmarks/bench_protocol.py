"""The research protocol options on real data: pairs, targets, classifiers.

Three small tables on one HCP/AHBA dataset (closed-form models only, so the
whole run takes about a minute on 2 cores):

1. network (Schaefer) folds: mean +- SD of Pearson r over the folds scored on
   the test x test pairs (connpredict's default) and on the test x test +
   test x train pairs (``pairs="test-all"``, the research's protocol);
2. spatial folds x seeds: the bilinear model with and without the
   distance-decay residual target (:class:`DecayResidualRegressor`, decay
   fitted on training pairs only);
3. spatial folds x seeds on the binarised FC (``binarize=True``: FC > 0.3):
   :class:`BilinearClassifier` ROC AUC and accuracy, and the accuracy of
   predicting the training pairs' majority class for reference.

Usage (the data home must hold the HCP/AHBA files)::

    CONNPREDICT_DATA=../shared/data python benchmarks/bench_protocol.py
    python benchmarks/bench_protocol.py --dataset hcp-schaefer200 --seeds 0 1 2
"""

import argparse
import sys

import numpy as np
from sklearn.model_selection import cross_validate
from threadpoolctl import threadpool_limits

from connpredict.datasets import load_dataset
from connpredict.metrics import get_scorer
from connpredict.model_selection import NetworkSplit, SpatialSplit
from connpredict.models import (
    BilinearClassifier,
    BilinearRegressor,
    DecayResidualRegressor,
)
from connpredict.utils import upper_triangle


def _fmt(values):
    values = np.asarray(values, dtype=float)
    return f"{np.nanmean(values):.3f} +- {np.nanstd(values):.3f}"


def network_pairs(ds):
    """Pearson r on network folds, test-test vs test-all pairs."""
    rows = []
    cv = NetworkSplit()
    for name, model in (
        ("bilinear (PCA-20)", BilinearRegressor()),
        ("decay residual + bilinear", DecayResidualRegressor()),
    ):
        out = cross_validate(
            model,
            ds.X,
            ds.Y,
            cv=cv,
            groups=ds.networks,
            scoring={
                "tt": get_scorer("pearson_r"),
                "all": get_scorer("pearson_r", pairs="test-all"),
            },
        )
        rows.append((name, _fmt(out["test_tt"]), _fmt(out["test_all"])))
    print("| model (network folds) | test x test r | test-all r |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def residual_target(ds, seeds):
    """Spatial folds: bilinear with and without the decay-residual target."""
    print("\n| model (spatial 4-fold) | Pearson r | MSE |")
    print("|---|---|---|")
    scoring = {"r": get_scorer("pearson_r"), "mse": get_scorer("neg_mse")}
    for name, model in (
        ("bilinear (PCA-20)", BilinearRegressor()),
        ("decay residual + bilinear", DecayResidualRegressor()),
    ):
        r, mse = [], []
        for seed in seeds:
            cv = SpatialSplit(n_splits=4, random_state=seed)
            out = cross_validate(model, ds.X, ds.Y, cv=cv, scoring=scoring)
            r.extend(out["test_r"])
            mse.extend(-out["test_mse"])
        print(f"| {name} | {_fmt(r)} | {_fmt(mse)} |")


def binarised(name, seeds):
    """Spatial folds on FC > 0.3: BilinearClassifier ROC AUC and accuracy."""
    ds = load_dataset(name, binarize=True)
    positive = float(upper_triangle(ds.Y.to_numpy()).mean())
    print(f"\nbinarised FC (> 0.3): {positive:.1%} of the pairs connected")
    print("| model (spatial 4-fold) | ROC AUC | accuracy |")
    print("|---|---|---|")
    scoring = {"auc": get_scorer("roc_auc"), "acc": get_scorer("accuracy")}
    for label, model in (
        ("BilinearClassifier (PCA-10)", BilinearClassifier()),
        (
            "BilinearClassifier (PCA-10) + distance",
            BilinearClassifier(use_distance=True),
        ),
    ):
        auc, acc = [], []
        for seed in seeds:
            cv = SpatialSplit(n_splits=4, random_state=seed)
            out = cross_validate(model, ds.X, ds.Y, cv=cv, scoring=scoring)
            auc.extend(out["test_auc"])
            acc.extend(out["test_acc"])
        print(f"| {label} | {_fmt(auc)} | {_fmt(acc)} |")
    # baseline: every test pair gets the training pairs' majority class
    base = []
    for seed in seeds:
        cv = SpatialSplit(n_splits=4, random_state=seed)
        for train, test in cv.split(ds.X, ds.Y):
            tr = upper_triangle(ds.Y.to_numpy()[np.ix_(train, train)])
            te = upper_triangle(ds.Y.to_numpy()[np.ix_(test, test)])
            base.append(np.mean(te == float(tr.mean() > 0.5)))
    print(f"| training-majority class | 0.500 | {_fmt(base)} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="hcp-schaefer100")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    ds = load_dataset(args.dataset)
    print(f"{args.dataset}: {ds.X.shape[0]} regions, {len(ds.genes)} genes\n")
    with threadpool_limits(1):
        network_pairs(ds)
        residual_target(ds, args.seeds)
        binarised(args.dataset, args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
