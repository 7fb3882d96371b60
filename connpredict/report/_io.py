"""Reading a results folder written by ``connpredict run``."""

import json
import logging
from pathlib import Path

import pandas as pd
from sklearn.utils import Bunch

logger = logging.getLogger(__name__)

#: file name -> columns it must have
RESULT_FILES = {
    "results": ("results.csv", ("model", "split", "seed", "fold", "metric", "value")),
    "folds": ("folds.csv", ("split", "seed", "region", "fold")),
    "predictions": (
        "predictions.csv",
        ("split", "seed", "model", "region_i", "region_j", "y_true", "y_pred"),
    ),
    "nulls": ("nulls.csv", ("model", "score", "null_score", "pvalue")),
}


def _read_table(path, required):
    table = pd.read_csv(path)
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ValueError(
            f"{path} lacks the column(s) {', '.join(missing)}; it must have "
            f"{', '.join(required)} (as written by `connpredict run`)."
        )
    for col in ("model", "split", "metric", "region", "region_i", "region_j"):
        if col in table.columns:
            table[col] = table[col].astype(str)
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
        With the DataFrames ``results`` (columns model, split, seed, fold,
        metric, value), ``folds`` (split, seed, region, fold),
        ``predictions`` (split, seed, model, region_i, region_j, y_true,
        y_pred) and ``nulls`` (model, score, null_score, pvalue), each None
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
    for key, (name, required) in RESULT_FILES.items():
        file = path / name
        if file.exists():
            out[key] = _read_table(file, required)
        elif key == "results":
            raise FileNotFoundError(
                f"{file} not found; is {path} a folder written by `connpredict run`?"
            )
        else:
            logger.info("%s not found; its report section is left out", file)
            out[key] = None
    config_file = path / "config.json"
    out["config"] = (
        json.loads(config_file.read_text(encoding="utf-8"))
        if config_file.exists()
        else {}
    )
    return out
