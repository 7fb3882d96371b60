"""Fixtures of the report tests: a fabricated results folder (no fitting)."""

import json

import numpy as np
import pandas as pd
import pytest

from connpredict.datasets import make_synthetic_connectome
from connpredict.experiment import region_scores
from connpredict.metrics import evaluate
from connpredict.utils import pair_indices, upper_triangle

# model -> noise sd of its fake predictions (lower is better)
FAKE_MODELS = {"decay": 0.9, "bilinear": 0.5, "smt": 0.3}


def _fold_assignment(regions, split, n_splits, rng):
    n = len(regions)
    if split == "spatial":  # compact slabs along the anterior-posterior axis
        ranks = regions["y"].rank(method="first").to_numpy() - 1
        return (ranks * n_splits // n).astype(int)
    return rng.permutation(np.arange(n) % n_splits)


def _make_results_folder(
    path,
    *,
    n_regions=40,
    n_splits=3,
    seeds=(0,),
    splits=("spatial", "random"),
    predictions=True,
    nulls=True,
    config=True,
    random_state=0,
):
    """Write results.csv, folds.csv and optional files under ``path``.

    Predictions are the true connectome plus symmetric noise (more noise on
    the spatial split), so the numbers look like a real run's.
    """
    rng = np.random.RandomState(random_state)
    ds = make_synthetic_connectome(n_regions=n_regions, n_genes=10, random_state=0)
    Y, regions = ds.Y, ds.regions
    sd = float(np.std(upper_triangle(Y.to_numpy())))
    rows, fold_rows, pred_rows, region_frames = [], [], [], []
    for split in splits:
        for seed in seeds:
            assign = _fold_assignment(regions, split, n_splits, rng)
            fold_rows += [
                {"split": split, "seed": seed, "region": lab, "fold": int(f)}
                for lab, f in zip(Y.index, assign)
            ]
            for model, level in FAKE_MODELS.items():
                level = level * (1.6 if split == "spatial" else 1.0)
                for fold in range(n_splits):
                    test = Y.index[assign == fold]
                    true = Y.loc[test, test]
                    noise = rng.normal(0.0, level * sd, true.shape)
                    pred = true + (noise + noise.T) / np.sqrt(2)
                    metrics = evaluate(true, pred, regions=regions.loc[test])
                    metrics["fit_predict_seconds"] = rng.uniform(0.1, 2.0)
                    rows += [
                        {
                            "model": model,
                            "split": split,
                            "seed": seed,
                            "fold": fold,
                            "metric": k,
                            "value": float(v),
                        }
                        for k, v in metrics.items()
                    ]
                    keys = {"model": model, "split": split, "seed": seed, "fold": fold}
                    region_frames.append(
                        region_scores(true, pred).reset_index().assign(**keys)
                    )
                    iu = pair_indices(len(test))
                    pred_rows += [
                        {
                            "split": split,
                            "seed": seed,
                            "model": model,
                            "region_i": test[i],
                            "region_j": test[j],
                            "y_true": float(true.iat[i, j]),
                            "y_pred": float(pred.iat[i, j]),
                        }
                        for i, j in zip(*iu)
                    ]
    path.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path / "results.csv", index=False)
    pd.DataFrame(fold_rows).to_csv(path / "folds.csv", index=False)
    if predictions:
        pd.DataFrame(pred_rows).to_csv(path / "predictions.csv", index=False)
        pd.concat(region_frames).to_csv(path / "region_scores.csv", index=False)
    if nulls:
        null = rng.normal(0.25, 0.08, 50)
        score = 0.55
        pvalue = (1 + np.sum(null >= score)) / (1 + null.size)
        pd.DataFrame(
            {"model": "smt", "score": score, "null_score": null, "pvalue": pvalue}
        ).to_csv(path / "nulls.csv", index=False)
    if config:
        cfg = {
            "dataset": "synthetic",
            "models": list(FAKE_MODELS),
            "cv": list(splits),
            "n_splits": n_splits,
            "seeds": list(seeds),
            "elapsed_seconds": 12.3,
        }
        (path / "config.json").write_text(json.dumps(cfg, indent=2))
    return ds


@pytest.fixture(scope="session")
def make_results_folder():
    """Factory ``make_results_folder(path, **options)``: writes a results folder.

    ``results.csv``, ``folds.csv`` and, unless switched off, predictions,
    region scores, nulls and ``config.json`` of the models in
    :data:`FAKE_MODELS` on a small synthetic dataset, which it returns.
    """
    return _make_results_folder


@pytest.fixture(scope="session")
def fake_models():
    """Model -> noise level of the fabricated predictions (lower is better)."""
    return dict(FAKE_MODELS)
