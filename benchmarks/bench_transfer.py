"""Atlas-to-atlas transfer of connectome predictors on the HCP datasets.

For each model and each training atlas (hcp-schaefer100/200/300/400,
restricted to the genes all four share), fit on all regions of the training
atlas, then predict the connectome of every other atlas from its expression
and centroids alone (genes matched by name with
:func:`connpredict.pretrained.align_regions`) and report Pearson r over the
upper triangle against that atlas's HCP connectome. The diagonal of each
table is the within-atlas spatial cross-validation score (4-fold
``SpatialSplit``, random_state=0) of the same model on the same genes.

Atlases of one cohort share subjects: the same HCP group connectome and the
same six AHBA donors underlie every atlas. Transfer therefore measures
prediction for *a new parcellation*, not for *new people*.

Also times loading each shipped pretrained model and predicting the
365-region hcp-schaefer400 atlas.

Usage::

    CONNPREDICT_DATA=../shared/data python benchmarks/bench_transfer.py
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import time
import warnings

import numpy as np

ATLASES = ("hcp-schaefer100", "hcp-schaefer200", "hcp-schaefer300", "hcp-schaefer400")
COORDS = ["x", "y", "z"]


def _models():
    from connpredict import (
        BilinearRegressor,
        ExponentialDecayRegressor,
        PLSBilinearRegressor,
    )

    return {
        "decay": lambda: ExponentialDecayRegressor(),
        "bilinear": lambda: BilinearRegressor(random_state=0),
        "bilinear+distance": lambda: BilinearRegressor(
            use_distance=True, random_state=0
        ),
        "pls": lambda: PLSBilinearRegressor(random_state=0),
    }


def _pearson(Y, P):
    iu = np.triu_indices(len(Y), 1)
    return float(np.corrcoef(Y.to_numpy()[iu], P.to_numpy()[iu])[0, 1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=None, help="comma-separated subset")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    from sklearn.model_selection import cross_val_score

    from connpredict import SpatialSplit, get_scorer, load_dataset
    from connpredict.pretrained import align_regions, list_models, load_model

    data = {name: load_dataset(name) for name in ATLASES}
    genes = set.intersection(*(set(d.X.columns) - set(COORDS) for d in data.values()))
    genes = [c for c in data[ATLASES[-1]].X.columns if c in genes]
    print(f"{len(genes)} genes shared by {', '.join(ATLASES)}\n")
    models = _models()
    chosen = args.models.split(",") if args.models else list(models)
    short = [a.replace("hcp-", "") for a in ATLASES]
    for name in chosen:
        t0 = time.perf_counter()
        print(f"### {name}\n")
        print("| trained on \\ predicts | " + " | ".join(short) + " | mean transfer |")
        print("| --- " * (len(ATLASES) + 2) + "|")
        for train in ATLASES:
            ds = data[train]
            X = ds.X[genes + COORDS]
            est = models[name]().fit(X, ds.Y)
            cells, transfer = [], []
            for test in ATLASES:
                if test == train:
                    cv = cross_val_score(
                        models[name](),
                        X,
                        ds.Y,
                        cv=SpatialSplit(n_splits=4, random_state=0),
                        scoring=get_scorer("pearson_r"),
                    )
                    cells.append(f"({np.mean(cv):.3f})")
                else:
                    r = _pearson(
                        data[test].Y, est.predict(align_regions(est, data[test].X))
                    )
                    transfer.append(r)
                    cells.append(f"{r:.3f}")
            print(
                f"| {train.replace('hcp-', '')} | "
                + " | ".join(cells)
                + f" | {np.mean(transfer):.3f} |"
            )
        print(f"\n({time.perf_counter() - t0:.0f} s)\n")
    X400 = data["hcp-schaefer400"].X
    print("### pretrained models: load + predict hcp-schaefer400 (365 regions)\n")
    for name in list_models():
        t0 = time.perf_counter()
        model = load_model(name)
        t1 = time.perf_counter()
        if not hasattr(model, "predict"):  # a region encoder: no connectome
            continue
        Y = model.predict(align_regions(model, X400))
        t2 = time.perf_counter()
        r = _pearson(data["hcp-schaefer400"].Y, Y)
        print(
            f"- {name}: load {1e3 * (t1 - t0):.0f} ms, align + predict "
            f"{1e3 * (t2 - t1):.0f} ms, r = {r:.3f}"
        )


if __name__ == "__main__":
    main()
