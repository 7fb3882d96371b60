"""Inputs refused by ``fit`` before any work: huge gene values, too many pairs."""

import numpy as np
import pytest

from connpredict import (
    BilinearRegressor,
    ExponentialDecayRegressor,
    PLSBilinearRegressor,
    make_synthetic_connectome,
)
from connpredict.cli import main
from connpredict.utils import _memory


@pytest.fixture(scope="module")
def ds():
    return make_synthetic_connectome(n_regions=30, n_genes=5, random_state=0)


@pytest.mark.parametrize("Model", [BilinearRegressor, PLSBilinearRegressor])
def test_huge_gene_values_give_a_clear_error(ds, Model):
    X = ds.X.copy()
    genes = [c for c in X.columns if c not in ("x", "y", "z")]
    X[genes] = X[genes] * 1e200
    with pytest.raises(ValueError, match=r"too large .* rescale them") as info:
        Model().fit(X, ds.Y)
    assert genes[0] in str(info.value)
    # rescaled, the same data fit
    X[genes] = X[genes] / 1e200
    assert np.isfinite(Model().fit(X, ds.Y).predict(X).to_numpy()).all()


def test_pair_memory_is_checked_before_any_work(ds, monkeypatch, tmp_path, capsys):
    # 30 regions, 435 pairs at 100 bytes: 43,500 bytes needed
    monkeypatch.setattr(_memory, "available_memory", lambda: 40_000)
    with pytest.raises(MemoryError, match=r"30 regions means 435 region pairs"):
        ExponentialDecayRegressor().fit(ds.X, ds.Y)
    argv = ["run", "--models", "decay", "--cv", "random", "--n-splits", "3"]
    code = main([*argv, "--null", "none", "--silent", "--output", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "The dataset synthetic: 100 regions means 4,950 region pairs" in err
    monkeypatch.setattr(_memory, "available_memory", lambda: 50_000)
    ExponentialDecayRegressor().fit(ds.X, ds.Y)  # 43,500 bytes fit
    # 20,000 regions on a 16 GB machine: refused, with the figures
    with pytest.raises(MemoryError, match=r"199,990,000 region pairs: about 18\.6 GB"):
        _memory.check_pair_memory(20_000, available=16 * 2**30)
