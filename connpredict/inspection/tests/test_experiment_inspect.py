"""run_experiment(inspect=...): the importances table and its report section."""

import numpy as np
import pytest
from sklearn.utils import Bunch

from connpredict.datasets import make_synthetic_connectome
from connpredict.experiment import run_experiment
from connpredict.inspection import gene_set_enrichment, permutation_importance
from connpredict.model_selection import SpatialSplit
from connpredict.models import BilinearRegressor
from connpredict.report import load_results


@pytest.fixture(scope="module")
def ds():
    return make_synthetic_connectome(n_regions=36, n_genes=12, random_state=0)


@pytest.fixture(scope="module")
def run(ds):
    sets = {"first": list(ds.genes[:5]), "last": list(ds.genes[-5:])}
    model = BilinearRegressor(alpha=1.0, random_state=0)
    result = run_experiment(
        ds,
        models={"bilinear": model},
        cv=["spatial"],
        n_splits=3,
        n_permutations=9,
        null="none",
        inspect=sets,
    )
    return result, sets, model


def test_table_matches_the_inspection_functions(ds, run):
    result, sets, model = run
    table = result.importances
    assert set(table["kind"]) == {"gene", "gene_set", "importance"}
    genes = table[table["kind"] == "gene"].set_index("name")
    single = gene_set_enrichment(
        ds.X,
        ds.Y,
        {g: [g] for g in ds.genes},
        regions=ds.regions,
        n_permutations=9,
        min_size=1,
        random_state=0,
    )
    np.testing.assert_allclose(
        genes.loc[list(ds.genes), "statistic"], single["statistic"]
    )
    np.testing.assert_allclose(genes.loc[list(ds.genes), "p_spin"], single["p_spin"])
    sets_rows = table[table["kind"] == "gene_set"].set_index("name")
    direct = gene_set_enrichment(
        ds.X, ds.Y, sets, regions=ds.regions, n_permutations=9, random_state=0
    )
    np.testing.assert_allclose(sets_rows.loc[list(sets), "p_spin"], direct["p_spin"])
    used = table[table["kind"] == "importance"].set_index("name")
    assert list(used.index) == ["all genes", "coordinates", "first", "last"]
    groups = {"all genes": list(ds.genes), "coordinates": ["x", "y", "z"], **sets}
    with pytest.warns(UserWarning, match="more than one group"):
        imp = permutation_importance(
            model,
            ds.X,
            ds.Y,
            cv=SpatialSplit(3, random_state=0),
            groups=groups,
            regions=ds.regions,
            n_repeats=9,
            random_state=0,
        )
    np.testing.assert_allclose(used["statistic"], imp.importances_mean)
    np.testing.assert_allclose(used["p_spin"], imp.pvalues)
    assert result.config["inspect"] == {
        "model": "bilinear",
        "gene_sets": ["first", "last"],
    }


def test_saved_and_read_back(run, tmp_path):
    result = run[0]
    folder = result.save(tmp_path / "run")
    assert (folder / "importances.csv").exists()
    back = load_results(folder).importances
    assert back.shape == result.importances.shape
    np.testing.assert_allclose(back["statistic"], result.importances["statistic"])


def test_bad_inspect(ds):
    with pytest.raises(TypeError, match="inspect must be"):
        run_experiment(ds, models=["decay"], inspect="yes")
    plain = Bunch(X=ds.X, Y=ds.Y, regions=ds.regions.drop(columns="sphere_x"))
    with pytest.raises(ValueError, match="atlas_regions"):
        run_experiment(plain, models=["decay"], inspect=True)
    without = run_experiment(ds, models=["decay"], cv=["random"], n_splits=3)
    assert without.importances is None
