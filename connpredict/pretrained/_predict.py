"""Predict the connectome of a new parcellation and write it out."""

import html
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from connpredict.pretrained._align import MIN_COVERAGE, align_regions
from connpredict.utils import MissingDependencyError, import_optional, pair_indices
from connpredict.utils._contract import COORD_COLUMNS

_NEEDS_PLOT = "The prediction page (prediction.html)"


def combine_inputs(expression, regions):
    """One region table from an expression table and a region (coordinate) table.

    Parameters
    ----------
    expression : DataFrame
        Regions x genes, indexed by region label.
    regions : DataFrame
        Indexed by region label, with MNI ``x``, ``y``, ``z`` (other columns
        are ignored). It must have a row for every expression row.

    Returns
    -------
    X : DataFrame
        The expression columns followed by ``x``, ``y``, ``z``, in the
        expression table's row order.

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.pretrained import combine_inputs
    >>> expr = pd.DataFrame({"G1": [1.0, 2.0]}, index=["a", "b"])
    >>> regs = pd.DataFrame({"x": [5.0, -5], "y": [0.0, 1], "z": [2.0, 3]},
    ...                     index=["b", "a"])
    >>> combine_inputs(expr, regs).loc["a", "x"]
    np.float64(-5.0)
    """
    for name, table in (("expression", expression), ("regions", regions)):
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"{name} must be a labelled table (DataFrame).")
        dup = table.index[table.index.duplicated()].unique()
        if len(dup):
            raise ValueError(
                f"Region labels must be unique in the {name} table; duplicated: "
                f"{list(dup[:5])}."
            )
    missing = [c for c in COORD_COLUMNS if c not in regions.columns]
    if missing:
        raise ValueError(
            f"The region table lacks column(s) {missing}: give MNI152 centroids "
            "in x, y, z (mm)."
        )
    absent = [lab for lab in expression.index if lab not in regions.index]
    if absent:
        raise ValueError(
            f"{len(absent)} expression region(s) have no row in the region "
            f"table, e.g. {absent[:5]}: the label columns must match."
        )
    genes = expression.drop(columns=[c for c in COORD_COLUMNS if c in expression])
    return genes.join(regions.loc[expression.index, list(COORD_COLUMNS)])


def predict_connectome(model, X, *, min_coverage=MIN_COVERAGE):
    """Predict the connectome among the regions of any parcellation.

    Parameters
    ----------
    model : str or estimator
        A pretrained model name (see :func:`list_models`) or a fitted
        connpredict estimator. A region encoder (for example
        ``"encoder-masked-schaefer400"``) is refused: it predicts no
        connectome.
    X : DataFrame
        One row a region, indexed by unique labels: gene columns by symbol
        (any order) and the MNI152 centroid ``x``, ``y``, ``z`` in mm. Genes
        are matched by :func:`align_regions` (missing genes: refused below
        ``min_coverage``, otherwise filled from training means with a
        warning).
    min_coverage : float, default=0.8
        Smallest fraction of the model's genes ``X`` must contain.

    Returns
    -------
    Y_pred : DataFrame of shape (n_regions, n_regions)
        The predicted connectome, labelled like ``X`` (zero diagonal).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from connpredict.pretrained import predict_connectome, read_metadata, model_path
    >>> meta = read_metadata(model_path("bilinear-schaefer300-shared"))
    >>> genes = meta["info"]["genes"]
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(5, len(genes))), columns=genes,
    ...                  index=list("abcde"))
    >>> X[["x", "y", "z"]] = rng.uniform(-50, 50, size=(5, 3))
    >>> predict_connectome("bilinear-schaefer300-shared", X).shape
    (5, 5)
    """
    subject = f"The model {model!r}" if isinstance(model, str) else "The model"
    if isinstance(model, str):
        from connpredict.pretrained._models import load_model

        model = load_model(model)
    if not callable(getattr(model, "predict", None)):
        raise ValueError(
            f"{subject} is a {type(model).__name__}, which predicts no "
            "connectome: a pretrained region encoder initialises an SMT, as "
            "SMTRegressor(encoder=..., freeze=True). Choose a connectome model "
            "(connpredict.pretrained.list_models())."
        )
    Xa = align_regions(model, X, min_coverage=min_coverage)
    Y = model.predict(Xa)
    if not isinstance(Y, pd.DataFrame):
        Y = pd.DataFrame(Y, index=Xa.index, columns=Xa.index)
    return Y


def region_summary(Y):
    """Per-region summaries of a predicted connectome.

    Parameters
    ----------
    Y : DataFrame of shape (n_regions, n_regions)
        A labelled connectome (diagonal ignored).

    Returns
    -------
    summary : DataFrame
        Indexed by region: ``mean`` (mean connectivity to the other
        regions), ``mean_abs``, ``strength_pos`` (sum of positive values),
        ``strongest_partner`` and ``strongest_value`` (the largest value).

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.pretrained import region_summary
    >>> Y = pd.DataFrame([[0, .5, .1], [.5, 0, -.2], [.1, -.2, 0]],
    ...                  index=list("abc"), columns=list("abc"))
    >>> region_summary(Y).loc["a", "strongest_partner"]
    'b'
    """
    A = Y.to_numpy(dtype=float).copy()
    n = len(A)
    np.fill_diagonal(A, np.nan)
    with np.errstate(invalid="ignore"):
        best = np.nanargmax(np.where(np.isnan(A), -np.inf, A), axis=1)
    return pd.DataFrame(
        {
            "mean": np.nanmean(A, axis=1) if n > 1 else np.nan,
            "mean_abs": np.nanmean(np.abs(A), axis=1) if n > 1 else np.nan,
            "strength_pos": np.nansum(np.where(A > 0, A, 0.0), axis=1),
            "strongest_partner": np.asarray(Y.columns)[best],
            "strongest_value": A[np.arange(n), best],
        },
        index=Y.index,
    )


def _figures(Y, X, n_edges, units, measured=None):
    plt = import_optional("matplotlib.pyplot", _NEEDS_PLOT)

    from connpredict.plotting import (
        figure_to_data_uri,
        plot_connectivity_matrices,
        plot_glass_edges,
        strongest_edges,
        symmetric_limit,
    )

    matrices = {f"predicted ({len(Y)} regions)": Y}
    if measured is not None:
        matrices["measured (--connectome)"] = measured.reindex(
            index=Y.index, columns=Y.columns
        )
    networks = X["network"] if "network" in X.columns else None
    matrix = figure_to_data_uri(
        plot_connectivity_matrices(matrices, networks=networks, units=units)
    )
    A = Y.to_numpy(dtype=float)
    vmax = symmetric_limit(A)
    i, j = pair_indices(len(A))
    adj, kept = strongest_edges(i, j, A[i, j], len(A), n_edges)
    fig = plt.figure(figsize=(10, 3.6))
    plot_glass_edges(
        fig,
        adj,
        X.loc[:, list(COORD_COLUMNS)].to_numpy(dtype=float),
        vmax=vmax,
        title=f"strongest {kept} predicted edges",
        units=units,
    )
    return matrix, figure_to_data_uri(fig), kept


def score_prediction(Y, measured):
    """Pearson r between a predicted and a measured connectome's upper triangles.

    Only the regions both share count; labels are matched, not positions.

    Parameters
    ----------
    Y, measured : DataFrame
        Labelled square connectomes.

    Returns
    -------
    r : float
        NaN (with a warning) when fewer than 3 regions are shared.
    n_regions : int
        Regions in common.

    Examples
    --------
    >>> import pandas as pd
    >>> from connpredict.pretrained._predict import score_prediction
    >>> Y = pd.DataFrame([[0, .5, .1], [.5, 0, -.2], [.1, -.2, 0]],
    ...                  index=list("abc"), columns=list("abc"))
    >>> r, n = score_prediction(Y, 2 * Y)
    >>> round(r, 6), n
    (1.0, 3)
    """
    from connpredict.utils._stats import pearson_r

    common = [lab for lab in Y.index if lab in set(measured.index)]
    if len(common) < 3:
        warnings.warn(
            f"the measured connectome shares {len(common)} region label(s) with "
            "the prediction; at least 3 are needed to score it (r is NaN).",
            UserWarning,
            stacklevel=2,
        )
        return float("nan"), len(common)
    i, j = pair_indices(len(common))
    a = Y.loc[common, common].to_numpy(float)[i, j]
    b = measured.loc[common, common].to_numpy(float)[i, j]
    return float(pearson_r(a, b)), len(common)


def write_prediction(
    Y,
    X,
    output,
    *,
    model_name="model",
    n_edges=50,
    notes=(),
    overwrite=False,
    html_page=True,
    units="connectivity",
    coverage=None,
    measured=None,
):
    """Write a predicted connectome, per-region summaries and an HTML page.

    Parameters
    ----------
    Y : DataFrame
        The predicted connectome (from :func:`predict_connectome`).
    X : DataFrame
        The region table it was predicted from (for the MNI coordinates).
    output : str or path-like
        Folder to write (created). It is checked first and written
        atomically: files go into a temporary sibling folder that is renamed
        into place at the end, so a failure leaves nothing half-written.
    model_name : str, default="model"
        Shown on the page.
    n_edges : int, default=50
        Strongest edges drawn on the glass brain.
    notes : sequence of str, default=()
        Lines shown on the page (e.g. warnings about imputed genes).
    overwrite : bool, default=False
        Replace ``output`` when it is an existing non-empty folder; without
        it such a folder raises ``ValueError``.
    html_page : bool, default=True
        Write ``prediction.html`` (its figures take most of the time); with
        False only the two CSV files are written.
    units : str, default="connectivity"
        What the values are, for colour bars (e.g. ``"FC (Fisher z)"``).
    coverage : dict, default=None
        The gene coverage to show (:func:`gene_coverage`).
    measured : DataFrame, default=None
        A measured connectome of the same regions (labelled square): drawn
        beside the prediction and scored against it (Pearson r over the
        region pairs both share, :func:`score_prediction`).

    Returns
    -------
    paths : dict
        ``"connectome"``, ``"regions"`` and ``"html"`` paths; ``"html"`` is
        None with ``html_page=False``, or when matplotlib or nilearn is
        missing (the page is skipped with a ``UserWarning`` naming
        ``pip install 'connpredict[plot]'``; the CSV files are written).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import tempfile, pandas as pd
    >>> from connpredict.pretrained import write_prediction
    >>> X = pd.DataFrame({"x": [-40.0, 40, 0], "y": [0.0, 10, -50],
    ...                   "z": [10.0, 20, 30]}, index=list("abc"))
    >>> Y = pd.DataFrame([[0, .5, .1], [.5, 0, -.2], [.1, -.2, 0]],
    ...                  index=list("abc"), columns=list("abc"))
    >>> paths = write_prediction(Y, X, tempfile.mkdtemp() + "/pred", n_edges=2)
    >>> sorted(paths)
    ['connectome', 'html', 'regions']
    """
    from connpredict.utils import check_output_dir

    out = check_output_dir(output, overwrite=overwrite)
    tables = {"connectome": Y, "regions": region_summary(Y)}
    if not html_page:
        return _write_files(out, tables, None, overwrite=overwrite)
    try:
        matrix, brain, kept = _figures(Y, X, n_edges, units, measured)
    except MissingDependencyError as exc:
        warnings.warn(f"prediction.html skipped: {exc}", UserWarning, stacklevel=2)
        return _write_files(out, tables, None, overwrite=overwrite)
    extra = _coverage_html(coverage) if coverage is not None else ""
    if measured is not None:
        extra += _measured_html(Y, measured)
    page = _page_html(Y, model_name, notes, extra, units, (matrix, brain, kept))
    return _write_files(out, tables, page, overwrite=overwrite)


#: file of each output of write_prediction
_FILES = {
    "connectome": "connectome.csv",
    "regions": "regions.csv",
    "html": "prediction.html",
}


def _write_files(out, tables, page, *, overwrite):
    """Write the tables (and the page unless None) into ``out``, atomically."""
    from connpredict.utils import staged_folder

    with staged_folder(out, overwrite=overwrite) as tmp:
        for key, table in tables.items():
            table.to_csv(tmp / _FILES[key], index_label="label")
        if page is not None:
            (tmp / _FILES["html"]).write_text(page, encoding="utf-8")
    paths = {k: str(Path(out) / name) for k, name in _FILES.items()}
    return paths if page is not None else {**paths, "html": None}


def _coverage_html(coverage):
    missing = coverage["missing"]
    shown = ", ".join(html.escape(g) for g in missing[:40])
    more = f" and {len(missing) - 40} more" if len(missing) > 40 else ""
    return (
        f'<h2>Gene coverage</h2><p data-genes-matched="{coverage["matched"]}" '
        f'data-genes-required="{coverage["required"]}">Matched '
        f"<b>{coverage['matched']} / {coverage['required']}</b> of the model's "
        f"genes ({coverage['matched'] / max(coverage['required'], 1):.1%})."
        + (
            f" Missing (filled with their training mean): {shown}{more}."
            if missing
            else " None missing."
        )
        + "</p>"
    )


def _measured_html(Y, measured):
    r, n_common = score_prediction(Y, measured)
    return (
        f'<h2>Against the measured connectome</h2><p data-score-r="{r:.6g}">'
        f"Pearson r = <b>{r:.3f}</b> between predicted and measured "
        f"connectivity over the {n_common * (n_common - 1) // 2} region pairs "
        f"of the {n_common} regions both share.</p>"
    )


def _page_html(Y, model_name, notes, extra, units, figures):
    """The prediction page: notes, ``extra`` sections, figures, top edges."""
    matrix, brain, kept = figures
    A = Y.to_numpy(dtype=float)
    i, j = pair_indices(len(A))
    order = np.argsort(-A[i, j], kind="stable")[:10]
    rows = "".join(
        f"<tr><td>{html.escape(str(Y.index[i[k]]))}</td>"
        f"<td>{html.escape(str(Y.index[j[k]]))}</td><td>{A[i[k], j[k]]:.3f}</td></tr>"
        for k in order
    )
    note_html = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>connpredict prediction: {html.escape(model_name)}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px}}
img{{max-width:100%}}</style></head><body>
<h1>Predicted connectome</h1>
<p>Model <b>{html.escape(model_name)}</b>, {len(A)} regions. Files:
<code>connectome.csv</code> (labelled matrix), <code>regions.csv</code>
(per-region summaries).</p>
{f"<ul>{note_html}</ul>" if notes else ""}
{extra}
<h2>Matrix</h2><p>Values: {html.escape(units)}.</p>
<img src="{matrix}" alt="predicted connectivity matrix">
<h2>Strongest {kept} predicted edges</h2>
<img src="{brain}" alt="strongest predicted edges on a glass brain">
<h2>Top 10 edges</h2><table><tr><th>region</th><th>region</th><th>value</th></tr>
{rows}</table>
<p>Predictions are group-level estimates from expression and position; see
the model card for intended use and limits.</p></body></html>
"""
