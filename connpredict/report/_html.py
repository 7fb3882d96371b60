"""``build_report``: one self-contained HTML page from a results folder."""

import datetime
import html
import json
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from connpredict._version import __version__
from connpredict.experiment import REPORT_FILE, TABLES, ExperimentResult
from connpredict.metrics import PRIMARY_METRIC, format_value, greater_is_better
from connpredict.plotting import DPI, figure_to_data_uri
from connpredict.report._brains import plot_edges, plot_region_scores
from connpredict.report._figures import (
    TABLE_METRICS,
    _metric_label,
    _model_order,
    _splits,
    at_p_floor,
    best_model,
    network_names,
    plot_distance_performance,
    plot_folds,
    plot_network_performance,
    plot_nulls,
    plot_predicted_connectome,
    plot_scores,
    primary_split,
    summarize_results,
)
from connpredict.utils import MissingDependencyError, import_optional
from connpredict.utils._memory import frozen_heap
from connpredict.utils._parallel import run_calls
from connpredict.utils._units import connectivity_label

_NEEDS_PLOT = "The HTML report"

logger = logging.getLogger(__name__)

_CSS = """
:root { --ink:#1d2433; --muted:#5b6475; --line:#e3e7ee; --bg:#f6f7fb;
        --card:#ffffff; --accent:#3b6fb6; --accent2:#e08a2c; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto,
       "Helvetica Neue", Arial, sans-serif; color:var(--ink); background:var(--bg); }
header { background: linear-gradient(120deg, #1f3b66, #3b6fb6); color:#fff;
         padding: 28px 40px 22px; }
header h1 { margin:0 0 4px; font-size: 26px; letter-spacing: .2px; }
header .sub { opacity:.9; font-size: 14px; }
header .chips { margin-top: 12px; display:flex; flex-wrap:wrap; gap:6px; }
.chip { background: rgba(255,255,255,.16); border:1px solid rgba(255,255,255,.25);
        border-radius: 999px; padding: 2px 10px; font-size: 12.5px; }
nav { position: sticky; top:0; z-index:2; background:#fff;
      border-bottom:1px solid var(--line); padding: 8px 40px; display:flex;
      flex-wrap:wrap; gap: 4px 18px; font-size: 13.5px; }
nav a { color: var(--muted); text-decoration:none; }
nav a:hover { color: var(--accent); }
main { max-width: 1280px; margin: 0 auto; padding: 22px 40px 60px; }
section { background: var(--card); border:1px solid var(--line); border-radius: 10px;
          padding: 18px 22px 20px; margin: 0 0 22px; }
section h2 { margin: 0 0 4px; font-size: 19px; }
section p.lead { margin: 0 0 14px; color: var(--muted); max-width: 900px; }
figure { margin: 0; text-align: center; }
figure img { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; text-align:left; }
.cards { display:grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr));
         gap: 14px; margin-bottom: 22px; }
.card { background: var(--card); border:1px solid var(--line); border-radius: 10px;
        padding: 14px 16px; border-top: 4px solid var(--accent); }
.card.random { border-top-color: var(--accent2); }
.card.null { border-top-color: #6c7a89; }
.card .k { color: var(--muted); font-size: 12.5px; text-transform: uppercase;
           letter-spacing: .5px; }
.card .v { font-size: 28px; font-weight: 650; margin: 2px 0; }
.card .v small { font-size: 15px; color: var(--muted); font-weight: 500; }
.card .d { font-size: 13px; color: var(--muted); }
.card .d.warn { color: #b3261e; margin-top: 4px; }
p.rule { margin: 0 0 10px; color: var(--muted); }
table.metrics { border-collapse: collapse; width: 100%; font-size: 14px;
                font-variant-numeric: tabular-nums; }
table.metrics th, table.metrics td { padding: 6px 10px; text-align: right;
  border-bottom: 1px solid var(--line); white-space: nowrap; }
table.metrics th { color: var(--muted); font-weight: 600; font-size: 12.5px;
                   text-transform: uppercase; letter-spacing: .4px; }
table.metrics td.name, table.metrics th.name { text-align: left; }
table.metrics tr.group td { background: #f0f3f8; font-weight: 650; text-align:left;
                            color: var(--ink); }
table.metrics td.best { font-weight: 700; }
.bar { display:inline-block; height: 8px; border-radius: 4px; background: var(--accent);
       vertical-align: middle; margin-right: 8px; opacity: .75; }
.sd { color: var(--muted); font-size: 12.5px; }
.note { color: var(--muted); font-size: 13px; font-style: italic; }
details { margin-top: 6px; }
details pre { background:#f4f6fa; border:1px solid var(--line); border-radius: 6px;
              padding: 10px 12px; overflow:auto; font-size: 12.5px; }
footer { text-align:center; color: var(--muted); font-size: 12.5px; padding: 10px; }
"""

# records script errors and whether every figure decoded (read by .ci/check_report.sh)
_SCRIPT = """
(function () {
  var root = document.documentElement, errors = 0;
  window.addEventListener("error", function () {
    errors += 1; root.setAttribute("data-js-errors", String(errors));
  });
  window.addEventListener("load", function () {
    var imgs = document.images, ok = 0;
    for (var k = 0; k < imgs.length; k++) {
      if (imgs[k].complete && imgs[k].naturalWidth > 0) { ok += 1; }
    }
    root.setAttribute("data-images-total", String(imgs.length));
    root.setAttribute("data-images-ok", String(ok));
    root.setAttribute("data-js-errors", String(errors));
  });
})();
"""


def _figure_meta(fig, dpi=DPI):
    """What a program can check of a figure: colour-bar labels, surface panel sizes."""
    colorbars = [
        " ".join((ax.get_ylabel() or ax.get_xlabel()).split())
        for ax in fig.axes
        if ax.get_label() == "<colorbar>"
    ]
    panels = [
        "{:.0f}x{:.0f}".format(*(ax.get_position().size * fig.get_size_inches() * dpi))
        for ax in fig.axes
        if ax.get_label().startswith("surface ")
    ]
    return {"colorbars": " | ".join(colorbars), "panels": " ".join(panels)}


def _figure_html(fig, alt, caption, *, model=None):
    meta = _figure_meta(fig)
    uri = figure_to_data_uri(fig)
    attrs = "".join(
        f' data-{key}="{html.escape(value)}"' for key, value in meta.items() if value
    )
    if model is not None:
        attrs += f' data-model="{html.escape(str(model))}"'
    return (
        f'<figure{attrs}><img src="{uri}" alt="{html.escape(alt)}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _report_model(results):
    """The one model every figure shows: highest mean test r on the primary split."""
    if PRIMARY_METRIC not in set(results["metric"]):
        return None
    return best_model(results)


def _units(res):
    return connectivity_label(res.config.get("target"), res.config.get("scale"))


def _fmt(value, metric):
    return format_value(value, metric)


def _metrics_table(results):
    present = set(results["metric"])
    metrics = [m for m in TABLE_METRICS if m in present]
    if "fit_predict_seconds" in present:
        metrics.append("fit_predict_seconds")
    summary = summarize_results(results, metrics=metrics)
    headers = {m: _metric_label(m) for m in metrics}
    rows = ['<table class="metrics"><thead><tr><th class="name">model</th>']
    rows += [f"<th>{html.escape(headers[m])}</th>" for m in metrics]
    rows.append("<th>folds</th></tr></thead><tbody>")
    for split in _splits(results):
        cur = summary[summary["split"] == split]
        mean = cur.pivot(index="model", columns="metric", values="mean")
        sd = cur.pivot(index="model", columns="metric", values="sd")
        count = cur.groupby("model", sort=False)["n"].max()
        models = [m for m in _model_order(results) if m in mean.index]
        best = {}
        for m in metrics:
            col = mean[m].dropna() if m in mean.columns else pd.Series(dtype=float)
            if not col.empty:
                low = not greater_is_better(m)
                best[m] = col.idxmin() if low else col.idxmax()
        rows.append(
            f'<tr class="group"><td colspan="{len(metrics) + 2}">'
            f"{html.escape(split)} split</td></tr>"
        )
        for model in models:
            cells = [f'<td class="name">{html.escape(model)}</td>']
            for m in metrics:
                v = mean.at[model, m] if m in mean.columns else np.nan
                s = sd.at[model, m] if m in sd.columns else np.nan
                cls = ' class="best"' if best.get(m) == model else ""
                bar = ""
                if m == PRIMARY_METRIC and np.isfinite(v):
                    width = round(60 * min(max(float(v), 0.0), 1.0))
                    bar = f'<span class="bar" style="width:{width}px"></span>'
                spread = (
                    f' <span class="sd">± {_fmt(s, m)}</span>' if np.isfinite(s) else ""
                )
                cells.append(f"<td{cls}>{bar}{_fmt(v, m)}{spread}</td>")
            cells.append(f"<td>{int(count.get(model, 0))}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
    rows.append("</tbody></table>")
    return "".join(rows)


def _with_timings(res):
    """results plus the fit + predict seconds of timings.csv as metric rows."""
    if res.get("timings") is None or res.timings.empty:
        return res.results
    timing = res.timings.rename(columns={"fit_predict_seconds": "value"}).assign(
        metric="fit_predict_seconds"
    )
    return pd.concat([res.results, timing[res.results.columns]], ignore_index=True)


def _cards(res):
    results = res.results
    cards = []
    r = results[results["metric"] == PRIMARY_METRIC]
    if r.empty:
        return ""
    model = _report_model(results)
    for split in _splits(r):
        vals = r[(r["split"] == split) & (r["model"] == model)]["value"]
        if vals.empty:
            continue
        sd = vals.std()
        sd_text = f" <small>± {sd:.3f}</small>" if np.isfinite(sd) else ""
        cls = "card random" if split == "random" else "card"
        cards.append(
            f'<div class="{cls}" data-model="{html.escape(model)}"><div class="k">'
            f"best model on the {html.escape(split)} split"
            f'</div><div class="v">r = {vals.mean():.3f}{sd_text}</div>'
            f'<div class="d">{html.escape(model)}, mean ± sd over {len(vals)} '
            "test folds</div></div>"
        )
    splits = set(r["split"])
    if {"spatial", "random"} <= splits:
        means = r[r["model"] == model].groupby("split")["value"].mean()
        gap = means["random"] - means["spatial"]
        cards.append(
            f'<div class="card null" data-model="{html.escape(model)}"><div '
            'class="k">random − spatial gap</div>'
            f'<div class="v">Δr = {gap:+.3f}</div><div class="d">'
            f"{html.escape(model)}: how much easier interpolating between nearby "
            "regions is than predicting an unseen part of the brain</div></div>"
        )
    if res.nulls is not None and not res.nulls.empty:
        for name, table in res.nulls.groupby("model", sort=False):
            p = float(table["pvalue"].iloc[0])
            n = len(table)
            floor = at_p_floor(p, n)
            warn = (
                f'<div class="d warn">p sits on its floor 1/(n+1) = {1 / (n + 1):.3g}'
                f": no null reached the true score; more spins (--n-permutations) "
                "could give a smaller p.</div>"
                if floor
                else ""
            )
            cards.append(
                f'<div class="card null" data-p-floor="{str(floor).lower()}" '
                f'data-n-spins="{n}"><div class="k">spin test · '
                f'{html.escape(str(name))}</div><div class="v">p = {p:.3g}</div>'
                f'<div class="d">true r = {float(table["score"].iloc[0]):.3f} vs '
                f"null mean {table['null_score'].mean():.3f}; {n} spins, smallest "
                f"attainable p = 1/({n}+1) = {1 / (n + 1):.3g}</div>{warn}</div>"
            )
    rule = (
        f'<p class="rule" data-best-model="{html.escape(model)}">Best model: '
        f"<b>{html.escape(model)}</b>, the highest mean test Pearson r on the "
        f"{html.escape(primary_split(results))} split. The cards and every "
        "figure that shows one model (connectome, edges, per-region brains) show "
        "this one.</p>"
    )
    return rule + '<div class="cards">' + "".join(cards) + "</div>"


def _resolve_regions(dataset, config):
    """Region table from ``dataset`` (a name, a Bunch or a DataFrame) or the config."""
    if isinstance(dataset, pd.DataFrame):
        return dataset
    if dataset is None:
        dataset = config.get("dataset")
        if dataset is None:
            return None
    if isinstance(dataset, str):
        from connpredict.datasets import load_dataset

        try:
            dataset = load_dataset(dataset, download_if_missing=False)
        except (OSError, ValueError) as exc:
            logger.warning("cannot load dataset %r for the folds: %s", dataset, exc)
            return None
    regions = getattr(dataset, "regions", None)
    if regions is None:
        raise TypeError(
            "dataset must be a dataset name, a Bunch with a `regions` table, or a "
            f"region table (DataFrame), got {type(dataset).__name__}."
        )
    return regions


def _section(sid, title, lead, body):
    return (
        f'<section id="{sid}"><h2>{html.escape(title)}</h2>'
        f'<p class="lead">{lead}</p>{body}</section>'
    )


def _try(title, func):
    """Run one section builder; a failure becomes a note, not a broken report."""
    try:
        return func()
    except Exception as exc:  # a report with one missing figure beats none
        logger.warning("report section %r failed: %s", title, exc, exc_info=True)
        return (
            '<p class="note">This figure could not be drawn: '
            f"{html.escape(str(exc))}</p>"
        )


def _build_sections(res, regions, n_jobs=1):
    """Every section of the page, in order, as (id, title, lead, body) tuples.

    With ``n_jobs != 1`` the builders run on this process and ``n_jobs - 1``
    worker processes (:func:`~connpredict.utils._parallel.run_calls`),
    costliest first; the page is the same.
    """
    builders = [builder for builder, _ in _BUILDERS]
    order = sorted(range(len(builders)), key=lambda i: -_BUILDERS[i][1])
    parts = run_calls(
        [(_worker_sections, (builder, res, regions)) for builder in builders],
        n_jobs,
        order=order,
        local=_local_sections,
    )
    return [section for part in parts for section in part]


def _local_sections(func, args):
    """A builder's sections drawn in this process (its matplotlib as it is)."""
    builder, res, regions = args
    return builder(res, regions)


def _worker_sections(builder, res, regions):
    """A builder's sections drawn in a worker process, on the Agg canvas."""
    import sys

    if "matplotlib.pyplot" not in sys.modules:
        import_optional("matplotlib", _NEEDS_PLOT).use("Agg")
    return builder(res, regions)


def _figure_section(sid, title, lead, draw, alt, caption):
    """A section holding one figure (``draw()``); a failure becomes a note."""
    body = _try(sid, lambda: _figure_html(draw(), alt, caption))
    return [(sid, title, lead, body)]


def _metrics_section(res, regions):
    results = res.results
    lead = (
        "Mean ± standard deviation over test folds (and seeds) of each metric, "
        "computed on the test × test region pairs of each fold. Bold: best per "
        "split. Models are ordered by Pearson r on the "
        f"{html.escape(primary_split(results))} split."
    )
    body = _try("metrics", lambda: _metrics_table(_with_timings(res)))
    return [("metrics", "Metrics", lead, body)]


def _scores_section(res, regions):
    results = res.results
    if PRIMARY_METRIC not in set(results["metric"]):
        return []
    n_folds = int(results[["split", "seed", "fold"]].drop_duplicates().shape[0])
    return _figure_section(
        "scores",
        "Test Pearson r per model and split",
        "Higher is better. Each dot is one test fold; bars are the mean, "
        "whiskers one standard deviation. A model that holds up on the "
        "spatial split predicts regions it has never seen nearby.",
        lambda: plot_scores(results),
        "bar plot of test Pearson r",
        f"Pearson r between predicted and true connectivity over "
        f"{n_folds} split × seed × fold test sets.",
    )


def _connectome_figure(res, regions):
    pred = res.predictions
    model = _report_model(res.results)
    if model is not None and model not in set(pred["model"]):
        model = None
    networks = _networks(regions)
    by_network = networks is not None and res.folds is not None
    fig = plot_predicted_connectome(
        pred,
        model=model,
        split=primary_split(pred),
        folds=res.folds,
        networks=networks,
        order="network" if by_network else "fold",
        units=_units(res),
    )
    caption = (
        "Regions grouped by network (lines: network boundaries). Only pairs "
        "of regions held out together (in the same test fold) are "
        "predicted; grey pairs cross folds. Same colour scale in both "
        "matrices."
        if by_network
        else "Only pairs of regions held out together are predicted (blocks "
        "on the diagonal, one per fold); grey pairs cross folds. Same "
        "colour scale in both matrices."
    )
    return _figure_html(fig, "true and predicted connectome", caption, model=model)


def _connectome_section(res, regions):
    if res.predictions is None or res.predictions.empty:
        return []
    lead = (
        "The connectivity among held-out regions, as measured and as "
        "predicted by the best model."
    )
    body = _try("connectome", lambda: _connectome_figure(res, regions))
    return [("connectome", "Predicted vs true connectome (best model)", lead, body)]


def _distance_section(res, regions):
    results = res.results
    if not set(results["metric"]) & {"short_r", "mid_r", "long_r"}:
        return []
    return _figure_section(
        "distance",
        "Performance by distance",
        "Pearson r within bins of the distance between the two regions of a "
        "pair. Distance alone explains much of connectivity; a model whose r "
        "stays up for long-range pairs has learned more than distance decay.",
        lambda: plot_distance_performance(results),
        "r by distance bin",
        "Mean ± sd over folds; NaN bins (too few pairs) are left out.",
    )


def _network_section(res, regions):
    results = res.results
    if not network_names(results):
        return []
    return _figure_section(
        "networks",
        "Performance by network",
        "Pearson r over the pairs within each functional network (both "
        "regions in the network). Grey: too few held-out pairs in that "
        "network.",
        lambda: plot_network_performance(results),
        "r per network",
        "Mean over folds and seeds; colour scale symmetric about 0.",
    )


def _folds_section(res, regions):
    if res.folds is None or res.folds.empty:
        return []
    if regions is not None:
        body = _try(
            "folds",
            lambda: _figure_html(
                plot_folds(res.folds, regions),
                "test folds on the brain",
                "Region centroids (MNI mm) coloured by the fold in which they were "
                "tested. Spatial folds are compact, random folds are scattered.",
            ),
        )
    else:
        body = (
            '<p class="note">The region coordinates are unavailable (dataset '
            "not found); rebuild with <code>build_report(..., dataset=...)"
            "</code> to draw the folds.</p>"
        )
    lead = "Which regions were held out together in each split."
    return [("folds", "Cross-validation folds on the brain", lead, body)]


def _nulls_section(res, regions):
    if res.nulls is None or res.nulls.empty:
        return []
    return _figure_section(
        "nulls",
        "Spin test",
        "The true cross-validated score against scores of the same model "
        "refitted on spatially rotated (spun) gene expression, which keeps "
        "spatial autocorrelation but breaks the link between genes and "
        "connectivity. A small p says the model uses more than smooth spatial "
        "gradients.",
        lambda: plot_nulls(res.nulls),
        "spin-null distribution",
        "Histogram: null scores; red line: the true score; p "
        "counts the nulls at least as high, (1 + #) / (1 + n).",
    )


def _inspection_sections(res, regions):
    section = _inspection_section(res)
    return [] if section is None else [section]


# -- "What predicts connectivity" (run_experiment(inspect=...)) ------------------
_N_TOP_GENES = 15


def _p(value):
    return "" if not np.isfinite(value) else f"{value:.3g}"


def _inspection_table(frame, columns):
    """HTML table of ``frame``: columns as (header, function of a row)."""
    rows = ['<table class="metrics"><thead><tr>']
    rows += [f"<th>{html.escape(h)}</th>" for h, _ in columns]
    rows.append("</tr></thead><tbody>")
    for _, row in frame.iterrows():
        cells = "".join(f"<td>{cell(row)}</td>" for _, cell in columns)
        rows.append(f"<tr>{cells}</tr>")
    rows.append("</tbody></table>")
    return "".join(rows)


def _inspection_body(table):
    def name(row):
        return f'<span class="name">{html.escape(str(row["name"]))}</span>'

    def mean_sd(row):
        return f'{row["statistic"]:.3f} <span class="sd">± {row["sd"]:.3f}</span>'

    out = []
    used = table[table["kind"] == "importance"]
    if not used.empty:
        model = html.escape(str(used["model"].iloc[0]))
        out.append(
            f"<h3>What the {model} model uses</h3><p>Drop in the held-out "
            "Pearson r when a block's regional maps are replaced by spun copies "
            "(mean ± sd over spins; p: share of spins that did not lower the "
            "score, (1 + #) / (1 + n)).</p>"
        )
        out.append(
            _inspection_table(
                used,
                [
                    ("block", name),
                    ("importance", mean_sd),
                    ("spin p", lambda r: _p(r["p_spin"])),
                    ("genes", lambda r: str(int(r["n_genes"]))),
                ],
            )
        )
    sets = table[table["kind"] == "gene_set"]
    if not sets.empty:
        out.append(
            "<h3>Gene sets</h3><p>Mean distance-controlled gene score of the set "
            "(± sd of its spin null). p<sub>spin</sub>: the connectome spun, "
            "scores recomputed (the ensemble null); p<sub>random genes</sub>: "
            "random sets of the same size, shown for comparison only (inflated "
            "for co-expressed sets); q: Benjamini-Hochberg over the sets.</p>"
        )
        out.append(
            _inspection_table(
                sets.sort_values("p_spin", kind="stable"),
                [
                    ("gene set", name),
                    ("statistic", mean_sd),
                    ("p spin", lambda r: _p(r["p_spin"])),
                    ("q spin", lambda r: _p(r["q_spin"])),
                    ("p random genes", lambda r: _p(r["p_random_genes"])),
                    ("genes", lambda r: str(int(r["n_genes"]))),
                ],
            )
        )
    genes = table[table["kind"] == "gene"]
    if not genes.empty:
        top = genes.sort_values("statistic", ascending=False).head(_N_TOP_GENES)
        out.append(
            f"<h3>Top {len(top)} of {len(genes)} genes</h3><p>Partial correlation "
            "over region pairs between a gene's co-expression and connectivity, "
            "both residualised on distance (± sd of its spin null); q: "
            "Benjamini-Hochberg over all genes.</p>"
        )
        out.append(
            _inspection_table(
                top,
                [
                    ("gene", name),
                    ("score", mean_sd),
                    ("p spin", lambda r: _p(r["p_spin"])),
                    ("q spin", lambda r: _p(r["q_spin"])),
                ],
            )
        )
    return "".join(out)


def _inspection_section(res):
    """The report section of the ``importances`` table, or None without one."""
    table = res.get("importances")
    if table is None or table.empty:
        return None
    return (
        "inspection",
        "What predicts connectivity",
        "Which genes, gene sets and feature blocks carry the prediction, each "
        "against a spatial (spin) null that keeps the maps' spatial "
        "autocorrelation. From <code>run_experiment(..., inspect=...)</code> "
        "(<code>importances.csv</code>).",
        _try("inspection", lambda: _inspection_body(table)),
    )


def _networks(regions):
    if regions is None or "network" not in regions.columns:
        return None
    networks = regions["network"].copy()
    networks.index = networks.index.astype(str)
    return networks


def _brain_sections(res, regions):
    """The brains: per-region accuracy, strongest edges, folds on glass brains."""
    if regions is None or not {"x", "y", "z"} <= set(regions.columns):
        return []
    figures = []
    model = _report_model(res.results)
    scores = res.get("region_scores")
    if scores is not None and model not in set(scores.get("model", ())):
        scores = None
    if scores is not None and not scores.empty:
        figures.append(
            lambda: _figure_html(
                plot_region_scores(scores, regions, model=model),
                "per-region accuracy on a glass brain",
                "Each held-out region coloured by the Pearson r between its "
                "predicted and true connectivity to the other regions of its test "
                "fold (best model, mean over seeds); region_scores.csv has them all.",
                model=model,
            )
        )
        structure = regions.get("structure")
        if structure is None or structure.astype(str).str.startswith("cort").any():
            figures.append(
                lambda: _figure_html(
                    plot_region_scores(scores, regions, model=model, kind="surface"),
                    "per-region accuracy on the cortical surface",
                    "The same accuracy on the cortex (nilearn's inflated fsaverage5 "
                    "over its sulcal depth): the Schaefer parcels themselves for the "
                    "hcp-schaefer datasets, else each vertex takes the value of the "
                    "nearest cortical region centroid (within 30 mm); the figure "
                    "says which.",
                    model=model,
                )
            )
    if res.predictions is not None and not res.predictions.empty:
        figures.append(
            lambda: _figure_html(
                plot_edges(
                    res.predictions,
                    regions,
                    model=model if model in set(res.predictions["model"]) else None,
                    units=_units(res),
                ),
                "strongest true and predicted edges",
                "The 50 held-out region pairs with the strongest true connectivity "
                "(top) and the 50 with the strongest predicted connectivity "
                f"(bottom), over every test fold of the split; edge colour: "
                f"{html.escape(_units(res))}.",
                model=model,
            )
        )
    if not figures:
        return []
    body = "".join(_try("brains", f) for f in figures)
    return [
        (
            "brains",
            "Brains",
            "Where on the brain the best model predicts well and which connections "
            "it gets right (the folds are drawn once, in their own section).",
            body,
        )
    ]


#: the section builders in page order, each with a rough cost (figures, and
#: glass brains above all, cost most): the order of a parallel build
_BUILDERS = (
    (_metrics_section, 0),
    (_scores_section, 2),
    (_connectome_section, 2),
    (_brain_sections, 10),
    (_distance_section, 1),
    (_network_section, 2),
    (_folds_section, 3),
    (_nulls_section, 1),
    (_inspection_sections, 3),
)


def _config_section(res, shown_path):
    config = dict(res.config)
    files = sorted(p.name for p in res.path.iterdir() if p.is_file())
    body = (
        "<details><summary>Configuration (config.json)</summary><pre>"
        + html.escape(json.dumps(config, indent=2, default=str))
        + "</pre></details><details><summary>Files in the results folder</summary><pre>"
        + html.escape("\n".join(files))
        + "</pre></details>"
    )
    return (
        "run",
        "Run details",
        "Everything needed to reproduce this report: "
        f"<code>connpredict report {html.escape(str(shown_path))}</code> rebuilds it.",
        body,
    )


def _header(res, shown_path):
    config, results = res.config, res.results
    chips = []
    dataset = config.get("dataset")
    if dataset:
        chips.append(f"dataset: {dataset}")
    chips.append(f"models: {', '.join(_model_order(results))}")
    chips.append(f"splits: {', '.join(_splits(results))}")
    if "n_splits" in config:
        chips.append(f"{config['n_splits']} folds")
    seeds = sorted(set(results["seed"])) if "seed" in results else []
    if seeds:
        chips.append(f"seeds: {', '.join(str(s) for s in seeds)}")
    if res.folds is not None:
        chips.append(f"{res.folds['region'].nunique()} regions")
    if "elapsed_seconds" in config:
        chips.append(f"run time {float(config['elapsed_seconds']):.0f} s")
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    chip_html = "".join(
        f'<span class="chip">{html.escape(str(c))}</span>' for c in chips
    )
    return (
        "<header><h1>connpredict report</h1>"
        f'<div class="sub">Predicting brain connectivity from gene expression and '
        f"space · {html.escape(shown_path.name)} · built {stamp} · connpredict "
        f"{html.escape(__version__)}</div>"
        f'<div class="chips">{chip_html}</div></header>'
    )


def build_report(
    result, folder=None, *, dataset=None, output=None, errors="raise", n_jobs=1
):
    """Write a self-contained HTML report of a run.

    The page embeds every figure as a PNG (no network needed) and shows the
    sections whose tables are not empty: headline numbers and a metrics
    table (mean ± sd per model and split, from ``results``), a bar plot of
    the test Pearson r, the predicted vs true connectome of the best model
    (``predictions``), performance by distance bin and by network (when
    those metrics were computed), the cross-validation folds on the brain
    (``folds`` and the region coordinates) and the spin-null distribution
    (``nulls``).

    Parameters
    ----------
    result : ExperimentResult or str or path-like
        The run (:func:`connpredict.run_experiment`, or
        :meth:`ExperimentResult.load <connpredict.experiment.ExperimentResult.load>`
        of a saved folder), or a results folder to read with
        ``ExperimentResult.load``.
    folder : str or path-like, default=None
        The results folder the report describes (its files are listed, and
        ``report.html`` is written there). Required with a result; None with
        a folder path.
    dataset : str, Bunch or DataFrame, default=None
        Where the region coordinates for the fold figure come from: a dataset
        name for :func:`connpredict.datasets.load_dataset`, a dataset Bunch
        (its ``regions``) or a region table with columns ``x``, ``y``,
        ``z``. None uses the result's region table, else loads the dataset
        named in its config; when that fails, the fold figure is replaced by
        a note.
    output : str or path-like, default=None
        The HTML file; None writes ``report.html`` in ``folder``.
    errors : {"raise", "warn"}, default="raise"
        What a failure to draw the page does: raise, or log a warning and
        return None (``connpredict run`` keeps its saved results).
    n_jobs : int, default=1
        Processes drawing the figures, this one included (-1: every core):
        the page's sections are shared between this process and
        ``n_jobs - 1`` workers of joblib's reusable process pool (the one
        ``run_experiment(n_jobs=...)`` fits in, so its workers are warm).
        The page is the same.

    Returns
    -------
    path : Path or None
        The written HTML file (None when ``errors="warn"`` and it failed).

    Raises
    ------
    MissingDependencyError
        When matplotlib or nilearn is missing (``pip install
        'connpredict[plot]'``).

    Examples
    --------
    >>> import tempfile
    >>> from connpredict import run_experiment
    >>> from connpredict.report import build_report
    >>> result = run_experiment(models=["decay", "cge"], cv=["random"], n_splits=3)
    >>> folder = result.save(tempfile.mkdtemp() + "/run")
    >>> path = build_report(result, folder)
    >>> path.name, "Test Pearson r" in path.read_text()
    ('report.html', True)
    """
    if errors not in ("raise", "warn"):
        raise ValueError(f"errors must be 'raise' or 'warn', got {errors!r}.")
    if (
        isinstance(n_jobs, bool)
        or not isinstance(n_jobs, (int, np.integer))
        or not n_jobs
    ):
        raise ValueError(
            f"n_jobs must be a non-zero integer (-1: every core), got {n_jobs!r}."
        )
    if not isinstance(result, ExperimentResult):
        if folder is not None:
            raise TypeError(
                "pass a results folder alone, or an ExperimentResult and its folder; "
                f"got {type(result).__name__} and folder={folder!r}."
            )
        folder = result
        result = ExperimentResult.load(folder)
    elif folder is None:
        raise TypeError(
            "build_report(result, folder) needs the results folder the result was "
            "saved to (result.save returns it)."
        )
    if errors == "raise":
        return _build_report(
            result, folder, dataset=dataset, output=output, n_jobs=n_jobs
        )
    try:
        return _build_report(
            result, folder, dataset=dataset, output=output, n_jobs=n_jobs
        )
    except MissingDependencyError as exc:
        logger.warning("report.html skipped (the results are saved): %s", exc)
    except Exception as exc:  # the results are saved; a report failure is not fatal
        logger.warning("the HTML report could not be built: %s", exc)
        logger.debug("report failure", exc_info=True)
    return None


def _report_tables(result, folder):
    """The result's tables as the sections read them: an empty table is None."""
    res = Bunch(path=Path(folder), config=dict(result.config))
    res.config.setdefault("output", str(folder))
    for name in TABLES:
        table = getattr(result, name)
        res[name] = None if table is None or table.empty else table
    return res


def _build_report(result, folder, *, dataset=None, output=None, n_jobs=1):
    # checked first: without [plot] the page would be all "could not be
    # drawn" notes; better no page and a one-line reason
    import_optional("matplotlib", _NEEDS_PLOT)
    import_optional("nilearn", _NEEDS_PLOT)
    res = _report_tables(result, folder)
    shown_path = Path(os.path.abspath(folder))
    regions = res.regions
    if dataset is not None or (regions is None and res.folds is not None):
        regions = _resolve_regions(dataset, res.config)
    out = Path(output) if output is not None else res.path / REPORT_FILE

    with frozen_heap():  # the run's objects need no scan by the collector
        sections = _build_sections(res, regions, n_jobs)
    sections.append(_config_section(res, shown_path))

    nav = "".join(
        f'<a href="#{sid}">{html.escape(title.split(" (")[0])}</a>'
        for sid, title, _, _ in sections
    )
    body = "".join(_section(*s) for s in sections)
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>connpredict report · {html.escape(shown_path.name)}</title>"
        f"<style>{_CSS}</style><script>{_SCRIPT}</script></head><body>"
        f"{_header(res, shown_path)}<nav>{nav}</nav><main>{_cards(res)}{body}</main>"
        "<footer>Made by connpredict.report.build_report · self-contained, "
        "no network needed</footer></body></html>\n"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    logger.info("report written to %s", out)
    return out
