"""Build the pretrained models shipped in ``connpredict/pretrained/models/``.

Every file is rebuilt from the data home (``CONNPREDICT_DATA``) with fixed
seeds, one thread and stable serialisation (``save_estimator`` writes no
timestamps; scores in the model cards are rounded to three decimals).

Usage::

    CONNPREDICT_DATA=../shared/data python data/build_pretrained.py          # write
    CONNPREDICT_DATA=../shared/data python data/build_pretrained.py --check  # compare

``--only NAME ...`` rebuilds only the named files (and their entries of
``index.json``, the others kept). ``--check`` rebuilds every file (or the
``--only`` ones) in a temporary folder and compares its SHA-256 with the
shipped one, and each rebuilt index entry with the shipped entry (exit status
1 on any difference; an encoder card's pretraining-time line, a wall-clock
measurement, is left out of the comparison). Identical
bytes are promised only on the machine (CPU, BLAS kernels, library versions)
that built the shipped files: elsewhere floating-point summation order
differs and the last bits of the fitted arrays may change. The test-suite
therefore checks the rebuilt bilinear model against the shipped one within a
tolerance (``pretrained/tests/test_models.py``), not by its bytes. The
shipped region encoder (``ENCODERS``: pretrained by
``connpredict.models.pretrain_region_encoder`` on expression alone) takes
about 20 CPU seconds to rebuild, too long for a unit test: its test rebuilds
the first epochs with the same data, genes, seed and settings and compares
their losses with the shipped encoder's recorded loss curve (``history_``);
``--check --only encoder-masked-schaefer400`` rebuilds it in full.
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

# name -> (corpus dataset, pretrain_region_encoder parameters, description);
# the settings of benchmarks/bench_pretraining.py (``_pretrain``, 100 epochs)
ENCODERS = {
    "encoder-masked-schaefer400": (
        "hcp-schaefer400",
        {"objective": "masked", "max_iter": 100, "random_state": 0},
        "Self-supervised region encoder (masked gene-token reconstruction, "
        "Sequence-BERT style)",
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


def fit_encoder(name, **overrides):
    """Pretrain a shipped encoder on its corpus (``overrides``: e.g. max_iter)."""
    from connpredict import load_dataset
    from connpredict.models import pretrain_region_encoder

    dataset, params, _ = ENCODERS[name]
    # all regions, expression only (the coordinate columns are ignored), the
    # dataset's own genes in its column order (the SMT's token layout)
    X = load_dataset(dataset).X
    return pretrain_region_encoder(X, **{**params, **overrides})


def write_encoder(name, enc, folder):
    from connpredict.pretrained import save_estimator

    dataset = ENCODERS[name][0]
    path = Path(folder) / f"{name}.npz"
    save_estimator(
        enc,
        path,
        info={
            "name": name,
            "dataset": dataset,
            "gene_set": f"every gene of {dataset}, in its column order",
            "corpus": f"expression of all {sum(enc.corpus_sizes_)} regions "
            f"of {dataset} (no connectivity)",
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


ENCODER_CARD = """# Model card: {name}

{description}: the region (token) encoder of `SMTRegressor`, pretrained
with connpredict on the gene expression of all {n_regions} regions of
`{dataset}` ({n_genes} genes), without any connectivity. It predicts no
connectome: it initialises the SMT's region encoder, to be kept frozen.

- Estimator: `RegionEncoder({params})`, fitted by
  `connpredict.models.pretrain_region_encoder(X, {params})` on the
  `X` of `connpredict.load_dataset("{dataset}")`; every other parameter at
  its default (token_size=20, d_model=64, n_heads=4, n_layers=2,
  mask_ratio=0.3, lr=1e-3, batch_size=32): the settings of
  `benchmarks/bench_pretraining.py`.
- File: `{name}.npz` (connpredict estimator format {fmt}; the weights, the
  corpus standardisation and the loss curve; no expression table)
- Inputs: one row a region with the {n_genes} genes of `{dataset}` as
  columns, in that dataset's column order (its token layout: consecutive
  genes form a token); `x`, `y`, `z` columns are ignored by the encoder.
- Output: `transform(X)` gives {d_model} numbers per region (the mean of the
  token states); its use is `SMTRegressor(encoder=...)`.
- Pretraining: {epochs} epochs, masked-token loss {loss0:.4f} at the first
  epoch and {loss:.4f} at the last.
- Pretraining CPU time: {cpu:.1f} s (one thread; load average {load} when built)

## Training data and licences

- Expression: Allen Human Brain Atlas microarray data parcellated with the
  abagen pipeline, from the ENIGMA Toolbox data repository
  (`saratheriver/enigma-extra`, folder `ahba/`); AHBA terms of use
  (attribution to the Allen Institute for Brain Science). Only expression
  was used: no connectivity, no coordinates.

## Transductive for `{dataset}`

The corpus holds every region of `{dataset}`. An SMT that uses this encoder
and is cross-validated on `{dataset}` therefore uses an encoder that has
seen the held-out regions' *expression* (never their connectivity; expression
is an input of every model, never the target): the transductive protocol. It
is the right protocol when the regions whose connectivity you predict are
known, with their expression, before training (completing one atlas's
connectome); it is not an estimate for regions unseen until prediction. For
the inductive protocol pass an unfitted encoder instead,
`SMTRegressor(encoder=RegionEncoder("masked", max_iter=100, random_state=0),
freeze=True, region_position="both")`: each `fit` then pretrains on its own
training regions (about 20 CPU seconds per fit here).

## Benchmark (Pearson r over the upper triangle, held-out regions)

`{dataset}`, `SpatialSplit(4, random_state=0)`, `n_ensemble=1`, test x test
r on each held-out fold (`benchmarks/bench_pretraining.py`, issue 23):

- Inductive (an encoder pretrained per outer fold on its training regions'
  expression, these settings), seed 0, mean +/- sd over the 4 folds: SMT with a
  frozen masked encoder and `region_position="both"` 0.689 +/- 0.031
  (jepa 0.696 +/- 0.027) against 0.619 +/- 0.053 with no encoder at
  `"both"` (better on 4 of 4 folds) and 0.527 +/- 0.087 for the default (no
  encoder, `"xyz"`).
{shipped_line}
- Nested choice (inner `SpatialSplit(3)` over encoder in {{none, masked,
  jepa}} x freeze x position in {{xyz, both}}), seeds 0 and 1, 8 outer
  folds: a frozen encoder with `both` was chosen in all 8 (masked 4, jepa
  4); r 0.655 +/- 0.080 against 0.491 +/- 0.086 for the default (+0.163 +/-
  0.080, better on 8 of 8 folds) and 0.590 +/- 0.061 for no encoder at
  `"both"` (+0.065 +/- 0.073, 7 of 8). Fixed cells over the same 8 folds:
  frozen masked + `both` 0.653 +/- 0.060 (+0.063 +/- 0.029 over no encoder
  at `both`, 8 of 8).
- On `hcp-schaefer100` a pretrained encoder does not help (the gain there is
  `region_position="both"` alone).

## Use

```python
from connpredict import load_dataset
from connpredict.models import SMTRegressor
from connpredict.pretrained import load_model

ds = load_dataset("{dataset}")
smt = SMTRegressor(encoder=load_model("{name}"), freeze=True,
                   region_position="both")
smt.fit(ds.X, ds.Y)   # or cross_val_score(smt, ds.X, ds.Y, cv=SpatialSplit(4))
```

## Intended use

The SMT on `{dataset}` (or another table with exactly these genes in this
order), as an option for large atlases: frozen, with `region_position="both"`.
It is not a default of any estimator.

## Limits

- Its genes only, in its token layout: an SMT given expression with other
  genes, or the same genes in another order, refuses it with an error naming
  the mismatch (the tokens would hold other genes); `encoder.align(X)`
  reorders a table that holds all of its genes.
- `region_position="both"` (where the gain was measured) positions regions
  by the MPI-LEMON reference connectome, which must be in the data home
  (`CONNPREDICT_DATA`, `GeneEx2Conn/data/BHA2/`); with `"xyz"` the encoder
  did not help.
- Fine-tuned (`freeze=False`) it did not help either; keep it frozen.
- The PairMLPRegressor gained nothing from an encoder in the benchmark.
- Group-level expression of six AHBA donors; the SMT trained with it
  predicts group-level HCP connectivity, not individuals or patients.
- `connpredict predict --model` refuses it (it predicts no connectome).
- Reproduce with
  `CONNPREDICT_DATA=... python data/build_pretrained.py --only {name}`.
"""

# the shipped-encoder benchmark (bench_pretraining.py --protocol shipped)
SHIPPED_LINE = """\
- This encoder itself (transductive: pretrained on every region, the
  held-out ones included), frozen, `"both"`, the same folds, with this
  release's SMT defaults (`bench_pretraining.py --protocol shipped --encoder
  {name}`, `results/bench_pretraining_shipped_rebuilt_2026-12-03.csv`):
  seed 0, r 0.703 +/- 0.030 against 0.584 +/- 0.087 with no encoder at
  `"both"` (+0.119 +/- 0.061, better on 4 of 4 folds); seed 1
  (`SpatialSplit(4, random_state=1)`), 0.594 +/- 0.087 against 0.508 +/-
  0.046 (+0.086 +/- 0.082, 3 of 4). Fine-tuned (`freeze=False`) it lowered
  r (-0.017 +/- 0.016, 1 of 8 folds better)."""


def write_encoder_card(name, enc, folder):
    from connpredict.pretrained import FORMAT_VERSION

    dataset, params, description = ENCODERS[name]
    text = ENCODER_CARD.format(
        name=name,
        description=description,
        dataset=dataset,
        n_regions=sum(enc.corpus_sizes_),
        n_genes=enc.n_genes_,
        d_model=enc.d_model,
        params=", ".join(f"{k}={v!r}" for k, v in params.items()),
        fmt=FORMAT_VERSION,
        epochs=len(enc.history_),
        loss0=enc.history_[0]["loss"],
        loss=enc.history_[-1]["loss"],
        cpu=enc.cpu_seconds_,
        load=_loadavg(),
        shipped_line=SHIPPED_LINE.format(name=name),
    )
    path = Path(folder) / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def _loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build(folder, names=None, cards=True):
    """Write the model files (and their cards) into ``folder``.

    Returns their ``index.json`` entries (:func:`write_index` writes them).

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
    names = list(names or [*MODELS, *ENCODERS])
    unknown = [n for n in names if n not in MODELS and n not in ENCODERS]
    if unknown:
        raise ValueError(
            f"Unknown model(s) {unknown}; choose from {[*MODELS, *ENCODERS]}."
        )
    models = [n for n in names if n in MODELS]
    if models:
        datasets = load_all()
        genes = shared_genes(datasets)
    index = {}
    for name in names:
        if name in ENCODERS:
            est = fit_encoder(name)
            path = write_encoder(name, est, folder)
            dataset, cls, n_genes = ENCODERS[name][0], "RegionEncoder", est.n_genes_
            if cards:
                write_encoder_card(name, est, folder)
        else:
            est = fit_model(name, datasets, genes)
            path = write_model(name, est, genes, folder)
            (dataset, cls), n_genes = MODELS[name][:2], len(genes)
            if cards:
                cv, transfer = scores(name, est, datasets, genes)
                write_card(name, folder, genes, cv, transfer)
        index[name] = {
            "file": path.name,
            "card": f"{name}.md",
            "sha256": _sha256(path),
            "size": path.stat().st_size,
            "estimator": cls,
            "dataset": dataset,
            "n_genes": n_genes,
        }
    return index


def write_index(index, folder):
    """Write ``index.json``: the shipped entries, updated with ``index``'s."""
    path = Path(folder) / "index.json"
    full = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    full.update(index)
    text = json.dumps(full, indent=2, sort_keys=True) + "\n"
    path.write_text(text, encoding="utf-8")


def _card_lines(path):
    # the pretraining time is a wall-clock measurement: not compared
    return [
        line
        for line in Path(path).read_text(encoding="utf-8").splitlines()
        if not line.startswith("- Pretraining CPU time")
    ]


def check(names=None):
    """Rebuild in a temporary folder; the names of what differs from ``OUT``."""
    shipped = json.loads((OUT / "index.json").read_text(encoding="utf-8"))
    bad = []
    with tempfile.TemporaryDirectory() as tmp:
        index = build(tmp, names)
        for p in sorted(Path(tmp).iterdir()):
            ref = OUT / p.name
            if not ref.exists():
                bad.append(p.name)
            elif p.suffix == ".md":
                if _card_lines(p) != _card_lines(ref):
                    bad.append(p.name)
            elif _sha256(p) != _sha256(ref):
                bad.append(p.name)
    bad += [f"index.json[{n}]" for n, e in index.items() if shipped.get(n) != e]
    return bad


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
    parser.add_argument(
        "--only",
        nargs="+",
        default=None,
        metavar="NAME",
        help=f"build only these ({', '.join([*MODELS, *ENCODERS])})",
    )
    args = parser.parse_args(argv)
    if not args.check:
        OUT.mkdir(parents=True, exist_ok=True)
        write_index(build(OUT, args.only), OUT)
        return 0
    bad = check(args.only)
    for name in bad:
        sys.stderr.write(f"differs: {name}\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
