"""A lean install: without the extras, one-line errors naming the extra.

The optional packages are blocked in a fresh interpreter by an import hook
that raises ``ModuleNotFoundError`` for them, as if not installed (``None``
in ``sys.modules`` would break scipy's own probe for torch), so this runs in
the full test environment; CI's core-only job (``.ci/core_only.py``) checks
the same in a venv without them.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from connpredict.utils import MissingDependencyError, import_optional
from connpredict.utils._optional import OPTIONAL_DEPENDENCIES

_BLOCKED = sorted(OPTIONAL_DEPENDENCIES)

# prepended to each child script: the blocked packages cannot be imported
_BLOCK = textwrap.dedent(
    """
    import sys

    class _Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _Blocker())
    """
)

_SCRIPT = textwrap.dedent(
    """
    import json
    import numpy as np
    import pandas as pd

    out = {}

    def catch(key, func):
        try:
            func()
            out[key] = None
        except Exception as exc:
            out[key] = [type(exc).__name__, str(exc)]

    import connpredict
    from connpredict import (
        BilinearRegressor, CommunitySplit, RandomSplit, make_synthetic_connectome,
        spin_test,
    )
    ds = make_synthetic_connectome(n_regions=30, n_genes=8, random_state=0)
    # the core works: a classical model, a spin test
    pred = BilinearRegressor().fit(ds.X, ds.Y).predict(ds.X)
    out["bilinear_finite"] = bool(np.isfinite(pred.to_numpy()).all())
    res = spin_test(BilinearRegressor(), ds.X, ds.Y, n_permutations=3,
                    cv=RandomSplit(3, random_state=0), regions=ds.regions,
                    random_state=0)
    out["spin_p"] = float(res.pvalue)

    catch("mlp", lambda: connpredict.PairMLPRegressor)
    catch("community", lambda: next(CommunitySplit(3).split(ds.X, ds.Y)))
    from connpredict.nulls import plot_null_distribution
    catch("plot", lambda: plot_null_distribution(res))
    from connpredict.experiment._options import read_config
    catch("yaml", lambda: read_config(sys.argv[1] + "/c.yaml"))
    from connpredict.pretrained import load_model
    catch("load_mlp", lambda: load_model("mlp-schaefer300-shared"))
    out["modules"] = sorted(m for m in BLOCKED if m in sys.modules)
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def blocked(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lean")
    (tmp / "c.yaml").write_text("models: bilinear\n")
    script = f"BLOCKED = {_BLOCKED!r}\n" + _BLOCK + _SCRIPT
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_core_works_without_the_extras(blocked):
    assert blocked["bilinear_finite"] is True
    assert 0 < blocked["spin_p"] <= 1
    assert blocked["modules"] == []  # none of the blocked packages slipped in


@pytest.mark.parametrize(
    "key, expected",
    [
        ("mlp", "PairMLPRegressor needs torch: pip install 'connpredict[neural]'"),
        (
            "community",
            "CommunitySplit needs networkx: pip install 'connpredict[community]'",
        ),
        (
            "plot",
            "plot_null_distribution needs matplotlib: pip install "
            "'connpredict[plot]'",
        ),
        (
            "load_mlp",
            "PairMLPRegressor needs torch: pip install 'connpredict[neural]'",
        ),
    ],
)
def test_one_line_error_names_the_extra(blocked, key, expected):
    kind, message = blocked[key]
    assert kind == "MissingDependencyError"
    assert message == expected


def test_yaml_config_names_the_yaml_extra(blocked):
    kind, message = blocked["yaml"]
    assert kind == "MissingDependencyError"
    assert "\n" not in message
    assert message.startswith("Reading the YAML config file ")
    assert message.endswith("needs pyyaml: pip install 'connpredict[yaml]'")


def test_cli_without_extras(tmp_path):
    """`connpredict run` writes its CSVs and skips the report; predict with an
    MLP model fails in one line; both without a traceback."""
    from connpredict.pretrained import model_path, read_metadata

    genes = read_metadata(model_path("mlp-schaefer300-shared"))["info"]["genes"]
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    labels = [f"r{i}" for i in range(10)]
    pd.DataFrame(
        rng.normal(size=(10, len(genes))), index=labels, columns=genes
    ).to_csv(tmp_path / "expr.csv", index_label="label")
    coords = np.column_stack(
        [np.tile([-40.0, 40.0], 5), np.linspace(-60, 40, 10), np.linspace(-20, 50, 10)]
    )
    pd.DataFrame(coords, index=labels, columns=["x", "y", "z"]).to_csv(
        tmp_path / "regions.csv", index_label="label"
    )
    block = f"BLOCKED = {_BLOCKED!r}\n" + _BLOCK
    cli = block + "from connpredict.cli import main; sys.exit(main(sys.argv[1:]))"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    run = subprocess.run(
        [sys.executable, "-c", cli, "run", "--quick", "--models", "bilinear",
         "--cv", "random", "--n-splits", "3", "--null", "none", "--silent",
         "--output", str(tmp_path / "res")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "res" / "results.csv").is_file()
    assert not (tmp_path / "res" / "report.html").exists()
    assert "Traceback" not in run.stderr
    assert "report.html skipped" in run.stderr
    assert "pip install 'connpredict[plot]'" in run.stderr
    predict = subprocess.run(
        [sys.executable, "-c", cli, "predict", "--model", "mlp-schaefer300-shared",
         "--expression", str(tmp_path / "expr.csv"),
         "--regions", str(tmp_path / "regions.csv"),
         "--output", str(tmp_path / "pred")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert predict.returncode == 2
    assert predict.stderr.strip().splitlines() == [
        "connpredict: error: PairMLPRegressor needs torch: pip install "
        "'connpredict[neural]'"
    ]
    assert not (tmp_path / "pred").exists()


def test_import_optional_only_wraps_the_missing_package(monkeypatch):
    assert import_optional("yaml", "x").safe_load("a: 1") == {"a": 1}
    with pytest.raises(ValueError, match="not an optional dependency"):
        import_optional("numpy", "x")
    monkeypatch.setitem(sys.modules, "networkx", None)  # import stops at None
    with pytest.raises(MissingDependencyError) as info:
        import_optional("networkx", "Louvain folds")
    assert str(info.value) == (
        "Louvain folds needs networkx: pip install 'connpredict[community]'"
    )
    assert isinstance(info.value, ImportError)
