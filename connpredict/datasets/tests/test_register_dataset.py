"""Adding a dataset is one entry of the dataset table (datasets/_registry.py).

The test registers a new dataset, with its loader, in that one place and
checks that it is reachable everywhere a dataset should be:
``dataset_names``, ``load_dataset``, ``cache_status`` (and so ``connpredict
datasets``) and the main job, from Python and from the command line.
"""

from types import MappingProxyType

import numpy as np
import pytest

from connpredict.datasets import (
    DATASET_KEYS,
    _registry,
    cache_status,
    dataset_names,
    load_dataset,
    make_synthetic_connectome,
)
from connpredict.datasets._bunch import dataset_bunch
from connpredict.datasets._registry import DatasetSpec


def _load_small(spec, **options):
    """A loader: a 40-region synthetic connectome under the spec's name."""
    ds = make_synthetic_connectome(n_regions=40, n_genes=6, random_state=1)
    return dataset_bunch(
        ds.X,
        ds.Y,
        ds.regions,
        genes=ds.genes,
        name=spec.name,
        scale=options["scale"],
        DESCR=f"{spec.summary}\n",
    )


@pytest.fixture
def new_dataset(monkeypatch):
    spec = DatasetSpec(
        name="small-synthetic",
        loader=_load_small,
        summary="40 synthetic regions",
        targets={"fc": None},
        defaults={"target": "fc"},
    )
    datasets = MappingProxyType({**_registry.DATASETS, spec.name: spec})
    monkeypatch.setattr(_registry, "DATASETS", datasets)
    return spec


def test_a_new_dataset_is_reachable_everywhere(new_dataset, tmp_path, capsys):
    from connpredict.cli import main
    from connpredict.experiment import run_experiment

    assert dataset_names()[-1] == "small-synthetic"
    ds = load_dataset("small-synthetic")
    assert tuple(ds.keys()) == DATASET_KEYS
    assert ds.X.shape == (40, 9) and ds.name == "small-synthetic"
    reference = make_synthetic_connectome(n_regions=40, n_genes=6, random_state=1)
    np.testing.assert_array_equal(ds.Y.to_numpy(), reference.Y.to_numpy())
    status = cache_status(tmp_path)
    assert status.loc["small-synthetic", "status"] == "embedded"
    assert main(["datasets", "--data-home", str(tmp_path)]) == 0
    assert "small-synthetic" in capsys.readouterr().out
    result = run_experiment(
        "small-synthetic", ["decay"], cv=["random"], n_splits=3, null="none"
    )
    assert result.folds["region"].nunique() == 40
    out = tmp_path / "out"
    argv = ["run", "--dataset", "small-synthetic", "--models", "decay"]
    argv += ["--cv", "random", "--n-splits", "3", "--null", "none", "--silent"]
    assert main([*argv, "--no-report", "--output", str(out)]) == 0
    assert (out / "results.csv").exists()


def test_without_registration_the_dataset_is_unknown():
    assert "small-synthetic" not in dataset_names()
    with pytest.raises(ValueError, match="Unknown dataset 'small-synthetic'"):
        load_dataset("small-synthetic")
