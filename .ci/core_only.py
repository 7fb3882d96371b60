"""CI's core-only job: connpredict installed without extras (``pip install .``).

Run by ``.ci/run`` in a fresh virtual environment holding only the core
dependencies (numpy, scipy, pandas, scikit-learn, joblib). Checks that the
optional packages are absent, that the classical models, spins, a spin test,
``connpredict run --models bilinear,pls`` and ``connpredict predict`` with a
classical pretrained model work, and that what needs an extra fails in one
line naming it. Exit status 0 when every check passes.

    python .ci/core_only.py WORK_DIR
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

OPTIONAL = ("torch", "skorch", "tqdm", "matplotlib", "nilearn", "nibabel",
            "networkx", "yaml")  # fmt: skip


def cli(*args):
    """Run the installed ``connpredict`` command; return (code, stdout, stderr)."""
    exe = Path(sys.executable).with_name("connpredict")
    proc = subprocess.run(
        [str(exe), *args], capture_output=True, text=True, timeout=300
    )
    return proc.returncode, proc.stdout, proc.stderr


def main(work):
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    present = [m for m in OPTIONAL if importlib.util.find_spec(m) is not None]
    assert not present, f"optional packages installed in the core venv: {present}"

    import numpy as np
    import pandas as pd

    import connpredict
    from connpredict import (
        BilinearRegressor,
        CGERegressor,
        ExponentialDecayRegressor,
        PLSBilinearRegressor,
        SpatialSplit,
        make_synthetic_connectome,
        spin_test,
    )
    from connpredict.datasets import load_region_table
    from connpredict.nulls import spin_permutations
    from connpredict.pretrained import model_path, read_metadata

    assert "torch" not in sys.modules
    ds = make_synthetic_connectome(n_regions=40, n_genes=10, random_state=0)
    for est in (ExponentialDecayRegressor(), CGERegressor(), BilinearRegressor(),
                PLSBilinearRegressor(n_components=2)):  # fmt: skip
        Y = est.fit(ds.X, ds.Y).predict(ds.X)
        assert np.isfinite(Y.to_numpy()).all(), type(est).__name__
    perms = spin_permutations(ds.regions, 5, random_state=0)
    assert perms.shape == (5, 40)
    res = spin_test(BilinearRegressor(), ds.X, ds.Y, cv=SpatialSplit(3, random_state=0),
                    n_permutations=5, regions=ds.regions, random_state=0)  # fmt: skip
    assert 0 < res.pvalue <= 1
    print(f"core: models, spins and a spin test ok (p = {res.pvalue:.3f})")

    # what needs an extra: one line naming it
    try:
        connpredict.PairMLPRegressor  # noqa: B018
    except ImportError as exc:
        assert str(exc) == (
            "PairMLPRegressor needs torch: pip install 'connpredict[neural]'"
        ), exc
    else:
        raise AssertionError("PairMLPRegressor imported without torch")

    code, out, err = cli("run", "--models", "bilinear,pls", "--quick", "--silent",
                         "--output", str(work / "run"))  # fmt: skip
    assert code == 0, err
    for name in ("results.csv", "folds.csv", "predictions.csv", "config.json"):
        assert (work / "run" / name).is_file(), name
    assert not (work / "run" / "report.html").exists()
    assert "Traceback" not in err and "connpredict[plot]" in err, err
    print("core: connpredict run --models bilinear,pls ok (report skipped)")

    name = "bilinear-schaefer300-shared"
    genes = read_metadata(model_path(name))["info"]["genes"]
    regions = load_region_table(100)
    rng = np.random.default_rng(0)
    expr = pd.DataFrame(rng.normal(size=(len(regions), len(genes))),
                        index=regions.index, columns=genes)  # fmt: skip
    expr.to_csv(work / "expression.csv", index_label="label")
    regions[["x", "y", "z"]].to_csv(work / "regions.csv", index_label="label")
    inputs = ("--expression", str(work / "expression.csv"),
              "--regions", str(work / "regions.csv"))  # fmt: skip
    code, out, err = cli("predict", "--model", name, *inputs,
                         "--output", str(work / "pred"))  # fmt: skip
    assert code == 0, err
    Y = pd.read_csv(work / "pred" / "connectome.csv", index_col=0)
    assert Y.shape == (len(regions), len(regions))
    assert np.isfinite(Y.to_numpy()).all()
    print(f"core: connpredict predict --model {name} ok")

    code, out, err = cli("predict", "--model", "mlp-schaefer300-shared", *inputs,
                         "--output", str(work / "pred_mlp"))  # fmt: skip
    assert code == 2, (code, err)
    assert err.strip().splitlines() == [
        "connpredict: error: PairMLPRegressor needs torch: pip install "
        "'connpredict[neural]'"
    ], err
    print("core: predict --model mlp-... fails in one line naming [neural]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "core_only_work"))
