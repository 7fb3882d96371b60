"""Reading a results folder written by ``connpredict run``."""

import json
import logging
from pathlib import Path

import pandas as pd
from sklearn.utils import Bunch

from connpredict.experiment._schema import CONFIG_FILE, TABLES

logger = logging.getLogger(__name__)


def _read_table(path, schema):
    table = pd.read_csv(path, dtype={c: str for c in schema.text})
    missing = [c for c in schema.required if c not in table.columns]
    if missing:
        raise ValueError(
            f"{path} lacks the column(s) {', '.join(missing)}; it must have "
            f"{', '.join(schema.required)} (as written by `connpredict run`)."
        )
    return table


def load_results(results_dir):
    """Read the files of a results folder written by ``connpredict run``.

    Only ``results.csv`` is required; every other file is read when present.

    Parameters
    ----------
    results_dir : str or path-like
        The results folder.

    Returns
    -------
    results : Bunch
        One DataFrame per table of :data:`connpredict.experiment.TABLES`
        (the one schema the writer uses too): ``results`` (columns model,
        split, seed, fold, metric, value), ``timings``, ``folds`` (split,
        seed, region, fold), ``predictions`` (model, split, seed, fold,
        region_i, region_j, y_true, y_pred), ``region_scores`` (model, split,
        seed, fold, region, r, n_pairs), ``nulls`` (model, ..., score,
        null_score, pvalue) and ``regions`` (indexed by region), each None
        when its file is absent; ``config`` (dict, empty when
        ``config.json`` is absent) and ``path`` (the folder).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from connpredict.report import load_results
    >>> folder = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"model": ["cge"], "split": ["random"], "seed": [0],
    ...               "fold": [0], "metric": ["pearson_r"], "value": [0.5]}
    ...              ).to_csv(folder / "results.csv", index=False)
    >>> res = load_results(folder)
    >>> res.results.shape, res.folds is None, res.config
    ((1, 6), True, {})
    """
    path = Path(results_dir)
    if not path.is_dir():
        raise FileNotFoundError(
            f"results folder {path} does not exist; pass the folder written by "
            "`connpredict run`."
        )
    out = Bunch(path=path)
    for key, schema in TABLES.items():
        file = path / schema.file
        if file.exists():
            out[key] = _read_table(file, schema)
        elif key == "results":
            raise FileNotFoundError(
                f"{file} not found; is {path} a folder written by `connpredict run`?"
            )
        else:
            logger.info("%s not found; its report section is left out", file)
            out[key] = None
    if out["regions"] is not None:
        out["regions"] = out["regions"].set_index("region")
    config_file = path / CONFIG_FILE
    out["config"] = (
        json.loads(config_file.read_text(encoding="utf-8"))
        if config_file.exists()
        else {}
    )
    return out
