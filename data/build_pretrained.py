"""Build the pretrained models shipped in ``connpredict/pretrained/models/``.

Every file is rebuilt from the data home (``CONNPREDICT_DATA``) with fixed
seeds, one thread and stable serialisation (``save_estimator`` writes no
timestamps; scores in the model cards are rounded to three decimals).

Usage::

    CONNPREDICT_DATA=../shared/data python data/build_pretrained.py          # write
    CONNPREDICT_DATA=../shared/data python data/build_pretrained.py --check  # compare

``--check`` rebuilds every file in a temporary folder and compares its
SHA-256 with the shipped one (exit status 1 on any difference). Identical
bytes are promised only on the machine (CPU, BLAS kernels, library versions)
that built the shipped files: elsewhere floating-point summation order
differs and the last bits of the fitted arrays may change. The test-suite
therefore checks the rebuilt bilinear model against the shipped one within a
tolerance (``pretrained/tests/test_models.py``), not by its bytes.
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ATLASES = ("hcp-schaefer100", "hcp-schaefer200", "hcp-schaefer300", "hcp-schaefer400")
COORDS = ["x", "y", "z"]
OUT = Path(__file__).resolve().parents[1] / "connpredict" / "pretrained" / "models"

# name -> (training dataset, estimator class name, parameters, description)
MODELS = {
    "bilinear-schaefer300-shared": (
        "hcp-schaefer300",
        "BilinearRegressor",
        {"use_distance": True, "random_state": 0},
        "Bilinear model (PCA gene encoder, coordinates and distance terms)",
    ),
    "mlp-schaefer300-shared": (
        "hcp-schaefer300",
        "PairMLPRegressor",
        {"hidden_dims": (128, 64), "n_ensemble": 1, "max_iter": 40, "random_state": 0},
        "Pair MLP (hidden layers 128, 64; one network, 40 epochs at most, early "
        "stopping on an inner validation split)",
    ),
    "pls-schaefer200-shared": (
        "hcp-schaefer200",
        "PLSBilinearRegressor",
        {"random_state": 0},
        "PLS bilinear model (coordinates as features)",
    ),
}


def shared_genes(datasets):
    """Genes present in every atlas, in the order of the last atlas's columns."""
    sets = [set(ds.X.columns) - set(COORDS) for ds in datasets.values()]
    common = set.intersection(*sets)
    last = list(datasets.values())[-1]
    return [c for c in last.X.columns if c in common]


def load_all():
    from connpredict import load_dataset

    return {name: load_dataset(name) for name in ATLASES}


def fit_model(name, datasets, genes):
    import connpredict

    dataset, cls, params, _ = MODELS[name]
    est = getattr(connpredict, cls)(**params)
    ds = datasets[dataset]
    return est.fit(ds.X[genes + COORDS], ds.Y)


def write_model(name, est, genes, folder):
    from connpredict.pretrained import save_estimator

    dataset = MODELS[name][0]
    path = Path(folder) / f"{name}.npz"
    save_estimator(
        est,
        path,
        training_data=False,
        info={
            "name": name,
            "dataset": dataset,
            "gene_set": "genes shared by " + ", ".join(ATLASES),
        },
    )
    return path


def _pearson(Y, P):
    iu = np.triu_indices(len(Y), 1)
    return float(np.corrcoef(Y.to_numpy()[iu], P.to_numpy()[iu])[0, 1])


def scores(name, est, datasets, genes):
    """Within-atlas spatial CV r and transfer r to every other atlas."""
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score

    from connpredict import SpatialSplit, get_scorer
    from connpredict.pretrained import align_regions

    dataset = MODELS[name][0]
    ds = datasets[dataset]
    cv = cross_val_score(
        clone(est),
        ds.X[genes + COORDS],
        ds.Y,
        cv=SpatialSplit(n_splits=4, random_state=0),
        scoring=get_scorer("pearson_r"),
    )
    transfer = {}
    for other, ods in datasets.items():
        if other != dataset:
            transfer[other] = _pearson(ods.Y, est.predict(align_regions(est, ods.X)))
    return float(np.mean(cv)), transfer


CARD = """# Model card: {name}

{description} fitted with connpredict on all regions of `{dataset}`,
restricted to the {n_genes} genes shared by every shipped HCP Schaefer atlas
(Schaefer-100/200/300/400 + 14 subcortical regions), so that any of those
atlases, and other parcellations carrying these genes, can be predicted.

- Estimator: `{cls}({params})`
- File: `{name}.npz` (connpredict estimator format {fmt}; no training table
  stored, only its gene means, used to fill missing genes)
- Inputs: one row a region; the {n_genes} gene columns (by symbol, any order,
  at least 80% of them by default) and the MNI152 centroid `x`, `y`, `z` in mm.
- Output: predicted group-average resting-state functional connectivity
  (HCP scale, zero diagonal) among the given regions.

## Training data and licences

- Expression: Allen Human Brain Atlas microarray data parcellated with the
  abagen pipeline, from the ENIGMA Toolbox data repository
  (`saratheriver/enigma-extra`, folder `ahba/`); AHBA terms of use
  (attribution to the Allen Institute for Brain Science).
- Connectivity: HCP group-average functional connectivity from the ENIGMA
  Toolbox (`MICA-MNI/ENIGMA`, BSD-3-Clause); HCP data use terms apply to the
  underlying data.
- Coordinates: Schaefer parcel centroids in MNI152 space, as shipped by
  connpredict's dataset `{dataset}`.

## Scores (Pearson r over the upper triangle)

- Within-atlas spatial 4-fold CV on `{dataset}` (SpatialSplit,
  random_state=0): r = {cv:.3f}
- Transfer, fitted on all of `{dataset}`, predicting another atlas from its
  expression and centroids alone:

| target atlas | r |
| --- | --- |
{transfer_rows}

Transfer between atlases of one cohort shares subjects (the same HCP group
connectome and the same six AHBA donors): it measures prediction for *a new
parcellation*, not for *new people*. See `benchmarks/bench_transfer.py`.

## Intended use

Predicting a group-level functional connectome for a parcellation that has
regional AHBA expression (e.g. from abagen) and MNI centroids, as a prior,
a baseline, or for hypothesis generation about gene-connectivity relations.

## Limits

- Group-level, healthy young adults (HCP); not for individual subjects,
  patients or clinical decisions.
- Expression must be processed like the training data (abagen-style
  parcellation, scaled per gene across regions); other pipelines shift the
  inputs.
- Predictions on atlases far from Schaefer cortical parcels (very small or
  very large regions, cerebellum) are untested.
- Reproduce with `CONNPREDICT_DATA=... python data/build_pretrained.py`.
"""


def write_card(name, folder, genes, cv, transfer):
    from connpredict.pretrained import FORMAT_VERSION

    dataset, cls, params, description = MODELS[name]
    rows = "\n".join(f"| `{k}` | {v:.3f} |" for k, v in transfer.items())
    text = CARD.format(
        name=name,
        description=description,
        dataset=dataset,
        n_genes=len(genes),
        cls=cls,
        params=", ".join(f"{k}={v!r}" for k, v in params.items()),
        fmt=FORMAT_VERSION,
        cv=cv,
        transfer_rows=rows,
    )
    path = Path(folder) / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build(folder, names=None, cards=True):
    """Write the model files (and cards and index) into ``folder``.

    BLAS/OpenMP and torch run on one thread while building, whatever the
    caller's environment (the variables set at import only take effect when
    this script is the first to load numpy): summation order, and so the
    bytes of every file, must not depend on the thread count.
    """
    import torch
    from threadpoolctl import threadpool_limits

    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            return _build(folder, names, cards)
    finally:
        torch.set_num_threads(torch_threads)


def _build(folder, names, cards):
    warnings.simplefilter("ignore")
    datasets = load_all()
    genes = shared_genes(datasets)
    index = {}
    for name in names or MODELS:
        est = fit_model(name, datasets, genes)
        path = write_model(name, est, genes, folder)
        index[name] = {
            "file": path.name,
            "card": f"{name}.md",
            "sha256": _sha256(path),
            "size": path.stat().st_size,
            "estimator": MODELS[name][1],
            "dataset": MODELS[name][0],
            "n_genes": len(genes),
        }
        if cards:
            cv, transfer = scores(name, est, datasets, genes)
            write_card(name, folder, genes, cv, transfer)
    if cards:
        text = json.dumps(index, indent=2, sort_keys=True) + "\n"
        (Path(folder) / "index.json").write_text(text, encoding="utf-8")
    return index


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help=(
            "compare, don't write: byte-exact SHA-256 comparison, meaningful "
            "only on the machine that built the shipped files"
        ),
    )
    args = parser.parse_args(argv)
    if not args.check:
        OUT.mkdir(parents=True, exist_ok=True)
        build(OUT)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        build(tmp)
        bad = [
            p.name
            for p in sorted(Path(tmp).iterdir())
            if not (OUT / p.name).exists() or _sha256(p) != _sha256(OUT / p.name)
        ]
    for name in bad:
        sys.stderr.write(f"differs: {name}\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
