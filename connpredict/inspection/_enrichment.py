"""Gene scores against connectivity, and gene-set enrichment with spatial nulls.

A gene's score is the Pearson correlation, over region pairs, between its
pairwise co-expression contribution ``u_i u_j`` (``u`` the gene's z-scored
regional map) and connectivity ``Y_ij``, after both are residualised on a
linear spline (10 knots) of the distance between the regions. Both fall with
distance, and that shared decay says nothing about any gene. All genes are
scored at once with matrix products: ``sum_{i<j} u_i u_j R_ij = u^T R u / 2``
for a symmetric matrix ``R`` with zero diagonal.
"""

import logging
import os
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist
from sklearn.utils import check_random_state

from connpredict.inspection._common import coordinates, draw_permutations
from connpredict.nulls import permutation_pvalue
from connpredict.utils import COORD_COLUMNS, check_connectome, check_regions_X
from connpredict.utils._checks import check_int

logger = logging.getLogger(__name__)

SCORES = ("mean", "mean_abs")
#: published gene lists in the data home, for :func:`load_gene_sets`
GENE_SET_NAMES = ("richiardi2015", "syngo")


# -- gene sets -------------------------------------------------------------------
def read_gmt(path):
    """Read gene sets from a GMT file.

    Each line of a GMT file (the format of MSigDB and most gene-set
    libraries) is ``name<TAB>description<TAB>gene<TAB>gene...``.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    gene_sets : dict of str to list of str
        Set name to gene symbols (file order, duplicates dropped). Blank
        lines and lines starting with ``#`` are skipped.

    Examples
    --------
    >>> import tempfile, os
    >>> from connpredict.inspection import read_gmt
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = os.path.join(d, "sets.gmt")
    ...     with open(path, "w") as f:
    ...         _ = f.write("SET_A\\tdesc\\tG1\\tG2\\tG3\\n")
    ...     read_gmt(path)
    {'SET_A': ['G1', 'G2', 'G3']}
    """
    sets = {}
    with open(os.fspath(path), encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) < 3:
                raise ValueError(
                    f"{path}, line {number}: a GMT line is name<TAB>description"
                    "<TAB>gene..., with tabs; this one has fewer than 3 fields."
                )
            name = fields[0].strip()
            if name in sets:
                raise ValueError(f"{path}, line {number}: set {name!r} appears twice.")
            genes = [g.strip() for g in fields[2:] if g.strip()]
            sets[name] = list(dict.fromkeys(genes))
    return sets


def load_gene_sets(names=GENE_SET_NAMES, *, data_home=None, download_if_missing=True):
    """Published gene lists from the data home, as gene sets.

    Parameters
    ----------
    names : str or sequence of str, default=("richiardi2015", "syngo")
        ``"richiardi2015"`` (Richiardi et al., Science 2015) and/or
        ``"syngo"`` (SynGO synaptic genes); see
        :func:`connpredict.datasets.load_gene_list`.
    data_home : str or path-like, default=None
        See :func:`connpredict.datasets.get_data_home`.
    download_if_missing : bool, default=True
        If False, raise instead of downloading.

    Returns
    -------
    gene_sets : dict of str to list of str
        Set name -> its gene symbols.

    Notes
    -----
    The Schaefer-400 cell-type tables of the data home are regional
    proportions of cell types, not gene lists: use them as a feature block
    (``load_dataset("hcp-schaefer400", features=("genes", "coords",
    "cell_types"))``) and, in :func:`permutation_importance`, as a group of
    columns.

    Examples
    --------
    >>> from connpredict.inspection import load_gene_sets
    >>> load_gene_sets("nope")
    Traceback (most recent call last):
    ...
    ValueError: Unknown gene list 'nope'; choose one of ['richiardi2015', 'syngo'].
    """
    from connpredict.datasets import load_gene_list

    if isinstance(names, str):
        names = [names]
    return {
        name: load_gene_list(
            name, data_home=data_home, download_if_missing=download_if_missing
        )
        for name in names
    }


def _check_sets(gene_sets, genes, min_size):
    """Membership of each set among ``genes``, with its coverage."""
    if isinstance(gene_sets, (str, os.PathLike)):
        gene_sets = read_gmt(gene_sets)
    if not isinstance(gene_sets, Mapping) or not gene_sets:
        raise TypeError(
            "gene_sets must be a non-empty mapping name -> list of genes, or the "
            "path of a GMT file (see `read_gmt` and `load_gene_sets`)."
        )
    position = {g: k for k, g in enumerate(genes)}
    members, rows, small = {}, [], []
    for name, listed in gene_sets.items():
        if isinstance(listed, str):
            raise TypeError(f"gene_sets[{name!r}] is a string; pass a list of genes.")
        listed = list(dict.fromkeys(listed))
        present = [position[g] for g in listed if g in position]
        rows.append(
            {
                "set": name,
                "n_genes": len(listed),
                "n_present": len(present),
                "coverage": len(present) / len(listed) if listed else float("nan"),
            }
        )
        if len(present) < min_size:
            small.append(f"{name!r} ({len(present)} of {len(listed)} genes in X)")
        members[name] = np.array(present, dtype=np.intp)
    if small:
        raise ValueError(
            f"Gene set(s) {', '.join(small[:10])} have fewer than min_size="
            f"{min_size} genes among the columns of X; drop them, or lower "
            "min_size (a set statistic over a handful of genes is noise)."
        )
    return members, pd.DataFrame(rows).set_index("set")


# -- gene scores -------------------------------------------------------------------
#: interior knots of the distance spline, at these quantiles of the distances
KNOT_QUANTILES = np.linspace(0.05, 0.95, 10)


def _distance_basis(D, rows, cols):
    """Orthonormal basis (pairs x 12) of a linear spline in distance.

    Intercept, distance and ``max(d - k, 0)`` for 10 knots ``k`` at the
    5th...95th percentiles of the pairs' distances: flexible enough for the
    steep exponential decay of connectivity at short range, which a
    low-order polynomial leaves partly in the residuals (where it would
    correlate with every spatially smooth gene).
    """
    d = D[rows, cols]
    scale = d.std() or 1.0
    s = (d - d.mean()) / scale
    knots = np.unique(np.quantile(s, KNOT_QUANTILES))
    B = np.column_stack([np.ones_like(s), s, np.maximum(s[:, None] - knots, 0.0)])
    Q, R = np.linalg.qr(B)
    keep = np.abs(np.diag(R)) > 1e-10 * np.abs(R).max()
    return Q[:, keep]


def _as_matrix(values, rows, cols, n):
    M = np.zeros((n, n))
    M[rows, cols] = values
    M[cols, rows] = values
    return M


class _GeneScorer:
    """Distance-controlled gene scores for many connectomes on fixed regions."""

    def __init__(self, U, D):
        n = U.shape[0]
        self.n = n
        self.rows, self.cols = np.triu_indices(n, k=1)
        self.Q = _distance_basis(D, self.rows, self.cols)
        self.U = U
        # ||c||^2 of c = u_i u_j over pairs, minus its part along the basis
        sq = np.sum(U**2, axis=0)
        norm2 = 0.5 * (sq**2 - np.sum(U**4, axis=0))
        for k in range(self.Q.shape[1]):
            Qk = _as_matrix(self.Q[:, k], self.rows, self.cols, n)
            proj = 0.5 * np.sum(U * (Qk @ U), axis=0)
            norm2 = norm2 - proj**2
        with np.errstate(invalid="ignore"):
            self.c_norm = np.sqrt(np.clip(norm2, 0.0, None))
        self.c_norm[~(self.c_norm > 1e-12 * np.maximum(sq, 1.0))] = np.nan

    def residual(self, y):
        return y - self.Q @ (self.Q.T @ y)

    def scores(self, Y, columns=None):
        """Scores of the genes (or the given columns) against square ``Y``."""
        y = Y[self.rows, self.cols]
        r = self.residual(y)
        U = self.U if columns is None else self.U[:, columns]
        c_norm = self.c_norm if columns is None else self.c_norm[columns]
        r_norm = np.sqrt(r @ r)
        if not r_norm > 1e-10 * np.linalg.norm(y - y.mean()):
            warnings.warn(
                "Connectivity is a function of distance alone (nothing is left "
                "after residualising it on distance): gene scores are undefined "
                "(NaN).",
                RuntimeWarning,
                stacklevel=3,
            )
            return np.full(U.shape[1], np.nan)
        R = _as_matrix(r, self.rows, self.cols, self.n)
        num = 0.5 * np.sum(U * (R @ U), axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return num / (r_norm * c_norm)


def _prepare(X, Y, regions, coord_columns):
    X = check_regions_X(X, coord_columns=coord_columns)
    labelled = isinstance(Y, pd.DataFrame)
    Y = check_connectome(Y)
    if labelled:
        if not Y.index.equals(X.index):
            absent = X.index.difference(Y.index)
            if len(absent):
                raise ValueError(
                    f"Regions {absent.tolist()[:5]} of X are not in Y; Y must hold "
                    "every region of X."
                )
            Y = Y.loc[X.index, X.index]
    elif len(Y) != len(X):
        raise ValueError(f"Y has {len(Y)} regions but X has {len(X)}.")
    coord_set = set(coord_columns)
    genes = [c for c in X.columns if c not in coord_set]
    if not genes:
        raise ValueError("X has no gene columns; pass X with its genes.")
    G = X[genes].to_numpy(dtype=float)
    sd = G.std(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        U = (G - G.mean(axis=0)) / sd
    U[:, ~(sd > 0)] = 0.0
    coords = coordinates(X, regions, coord_columns)
    D = cdist(coords, coords)
    return X, Y.to_numpy(dtype=float), genes, U, D


def gene_scores(X, Y, *, regions=None, coord_columns=COORD_COLUMNS):
    """Distance-controlled association of each gene's co-expression with connectivity.

    For each gene with z-scored regional map ``u``, its co-expression
    contribution to a region pair is ``u_i u_j``. The score is the Pearson
    correlation, over the region pairs ``i < j``, between that contribution
    and ``Y_ij``, after both are residualised on a linear spline (knots at
    Euclidean distance between the regions' centroids (a partial
    correlation controlling for distance).

    Parameters
    ----------
    X : DataFrame of shape (n_regions, n_features)
        Genes and coordinates ``x, y, z`` (or give ``regions`` with them).
    Y : DataFrame of shape (n_regions, n_regions)
        Connectome, labelled like ``X``.
    regions : DataFrame, default=None
        Region table with ``x, y, z``, used when ``X`` has no coordinates.
    coord_columns : tuple of str, default=("x", "y", "z")
        Coordinate columns.

    Returns
    -------
    scores : Series
        One score per gene, in ``[-1, 1]``; NaN for a constant gene.

    Examples
    --------
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.inspection import gene_scores
    >>> ds = make_synthetic_connectome(n_regions=30, n_genes=5, random_state=0)
    >>> gene_scores(ds.X, ds.Y).shape
    (5,)
    """
    X, Yv, genes, U, D = _prepare(X, Y, regions, coord_columns)
    return pd.Series(_GeneScorer(U, D).scores(Yv), index=pd.Index(genes, name="gene"))


# -- multiple testing ------------------------------------------------------------
def fdr_bh(pvalues):
    """Benjamini-Hochberg false-discovery-rate q-values.

    ``q_(i) = min_{k >= i} min(1, m p_(k) / k)`` over the ``m`` finite
    p-values sorted increasingly; NaN p-values stay NaN and do not count.

    Parameters
    ----------
    pvalues : array-like of shape (n_tests,)
        The p-values of the tests; NaN marks a test without one.

    Returns
    -------
    qvalues : ndarray of shape (n_tests,)
        The q-value of each test, in the input order (NaN where the p-value
        is NaN).

    Examples
    --------
    >>> from connpredict.inspection import fdr_bh
    >>> fdr_bh([0.01, 0.04, 0.03, 0.5]).round(3).tolist()
    [0.04, 0.053, 0.053, 0.5]
    """
    p = np.asarray(pvalues, dtype=float).ravel()
    q = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return q
    order = ok[np.argsort(p[ok], kind="stable")]
    ranked = p[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q[order] = np.minimum(ranked, 1.0)
    return q


# -- enrichment ------------------------------------------------------------------
def _averaging_matrix(members, n_columns):
    """Sparse (n_sets x n_columns) matrix whose rows average each set."""
    from scipy.sparse import csr_matrix

    sizes = np.array([idx.size for idx in members])
    rows = np.repeat(np.arange(len(members)), sizes)
    cols = np.concatenate(members) if members else np.empty(0, np.intp)
    weights = np.repeat(1.0 / np.maximum(sizes, 1), sizes)
    return csr_matrix((weights, (rows, cols)), shape=(len(members), n_columns))


def _set_stats(scores, averaging, score):
    vals = np.abs(scores) if score == "mean_abs" else scores
    return averaging @ vals


def gene_set_enrichment(
    X,
    Y,
    gene_sets,
    *,
    score="mean",
    null="spin",
    regions=None,
    n_permutations=1000,
    min_size=5,
    random_state=None,
    coord_columns=COORD_COLUMNS,
):
    """Test whether a gene set's genes track connectivity beyond space.

    Every gene gets a distance-controlled score (:func:`gene_scores`); a
    set's statistic is the mean of its genes' scores. Two p-values are
    reported side by side:

    - ``p_spin`` (the ensemble null; Fulcher et al., Nat Commun 2021): the
      connectome's regions are spun (``Y[p][:, p]`` for spin permutations
      ``p``), the gene scores recomputed against each spun connectome
      (distance control included) and the set statistic compared with its
      own null distribution. The null keeps both the spatial structure of
      the connectome and the co-expression structure of the set's genes, so
      a coherent, spatially smooth set is not significant merely for being
      coherent.
    - ``p_random_genes`` (the classical null, for comparison): the statistic
      against those of random gene sets of the same size. Genes of real
      categories are co-expressed and spatially smooth, so this null is far
      too narrow and its p-values are inflated; do not use it for
      inference.

    Parameters
    ----------
    X : DataFrame of shape (n_regions, n_features)
        Genes and coordinates ``x, y, z``.
    Y : DataFrame of shape (n_regions, n_regions)
        Connectome, labelled like ``X``.
    gene_sets : mapping of str to list of str, or path
        Set name to gene symbols, or a GMT file (:func:`read_gmt`); e.g.
        :func:`load_gene_sets`. Sets may overlap: each is tested on its own
        (the Benjamini-Hochberg q-values stay valid under the positive
        dependence overlaps create).
    score : {"mean", "mean_abs"}, default="mean"
        Set statistic: the mean of its genes' scores (co-expression tracks
        connectivity), or of their absolute values (tracks it in either
        direction). p-values are one-sided, large statistics significant.
    null : {"spin", "shuffle"}, default="spin"
        How the connectome's regions are permuted for ``p_spin``: spins
        (needs ``regions`` with sphere centroids), or uniform shuffles (the
        non-spatial null, optimistic; the column is still called ``p_spin``).
    regions : DataFrame, default=None
        Region table indexed like ``X`` with ``hemisphere``, ``structure`` and
        ``sphere_x/y/z``, e.g. ``load_dataset(...).regions`` or
        :func:`connpredict.datasets.atlas_regions`.
    n_permutations : int, default=1000
        Spins, and random gene sets per set size.
    min_size : int, default=5
        Smallest number of a set's genes present in ``X``; smaller sets are
        refused (with their names).
    random_state : int, RandomState instance or None, default=None
        Seed of the spins and random gene sets.
    coord_columns : tuple of str, default=("x", "y", "z")
        Coordinate columns of ``X``.

    Returns
    -------
    table : DataFrame
        One row per set (index ``set``): ``n_genes`` (listed), ``n_present``
        (in X), ``coverage``, ``statistic``, ``null_mean`` and ``null_sd``
        (of the spin null), ``p_spin``, ``q_spin`` (Benjamini-Hochberg over
        the sets), ``p_random_genes``, ``q_random_genes``.

    See Also
    --------
    gene_scores : The per-gene scores.
    permutation_importance : What a fitted model uses.

    Notes
    -----
    p-values are ``(1 + #(null >= statistic)) / (1 + n_permutations)``
    (:func:`connpredict.nulls.permutation_pvalue`). Gene scores are computed
    over all region pairs (no cross-validation: this describes the data, it
    fits no model). One spin costs a product of the ``n x n`` residualised
    connectome with the ``n x g`` maps of the genes in any set.

    Examples
    --------
    >>> from connpredict.datasets import make_synthetic_connectome
    >>> from connpredict.inspection import gene_set_enrichment
    >>> ds = make_synthetic_connectome(n_regions=40, n_genes=30, random_state=0)
    >>> sets = {"first": list(ds.genes[:10]), "last": list(ds.genes[-10:])}
    >>> table = gene_set_enrichment(ds.X, ds.Y, sets, regions=ds.regions,
    ...                             n_permutations=20, random_state=0)
    >>> table.columns.tolist()[:4]
    ['n_genes', 'n_present', 'coverage', 'statistic']
    """
    if score not in SCORES:
        raise ValueError(f"score must be one of {list(SCORES)}, got {score!r}.")
    check_int(n_permutations, "n_permutations", low=1)
    check_int(min_size, "min_size")
    X, Yv, genes, U, D = _prepare(X, Y, regions, coord_columns)
    members, table = _check_sets(gene_sets, genes, max(int(min_size), 1))
    rng = check_random_state(random_state)
    perms = draw_permutations(
        null, X, regions, n_permutations, rng, what="gene_set_enrichment"
    )
    scorer = _GeneScorer(U, D)
    observed = scorer.scores(Yv)
    finite = np.isfinite(observed)
    member_list = [idx[finite[idx]] for idx in members.values()]
    stats = _set_stats(observed, _averaging_matrix(member_list, len(genes)), score)

    # ensemble null: spun connectome, every set gene rescored
    union = np.unique(np.concatenate(member_list))
    local = np.full(len(genes), -1, dtype=np.intp)
    local[union] = np.arange(union.size)
    averaging = _averaging_matrix([local[idx] for idx in member_list], union.size)
    null_stats = np.empty((len(perms), len(member_list)))
    for k, p in enumerate(perms):
        spun = scorer.scores(Yv[np.ix_(p, p)], columns=union)
        null_stats[k] = _set_stats(spun, averaging, score)
    p_spin = [permutation_pvalue(s, null_stats[:, j]) for j, s in enumerate(stats)]

    # classical null: random gene sets of the same size
    pool = np.flatnonzero(finite)
    p_random = np.empty(len(member_list))
    random_null = {}
    for j, idx in enumerate(member_list):
        size = idx.size
        if size not in random_null:
            draws = np.array(
                [rng.choice(pool, size, replace=False) for _ in range(n_permutations)]
            )
            vals = np.abs(observed) if score == "mean_abs" else observed
            random_null[size] = vals[draws].mean(axis=1)
        p_random[j] = permutation_pvalue(stats[j], random_null[size])

    table["statistic"] = stats
    table["null_mean"] = null_stats.mean(axis=0)
    table["null_sd"] = null_stats.std(axis=0, ddof=1) if len(perms) > 1 else np.nan
    table["p_spin"] = p_spin
    table["q_spin"] = fdr_bh(p_spin)
    table["p_random_genes"] = p_random
    table["q_random_genes"] = fdr_bh(p_random)
    logger.info(
        "gene_set_enrichment: %d sets, %d genes, %d permutations",
        len(table),
        len(genes),
        n_permutations,
    )
    return table
