"""The dataset spec table: every dataset, its upstream files and its options.

One entry of :data:`DATASETS` per dataset. An entry names the loader that
builds it (a key of ``_load.LOADERS``, or the loader function itself), the
options it accepts, and every upstream file it may read with its SHA-256
checksum. Nothing else in the
package branches on dataset names: :func:`~connpredict.datasets.load_dataset`,
:func:`~connpredict.datasets.dataset_names`,
:func:`~connpredict.datasets.dataset_files`,
:func:`~connpredict.datasets.cache_status` and the ``connpredict datasets``
command all read this table.

Upstream files are keyed ``<source>/<path inside the source repository>``
(the same layout is used in the data home). Downloads come from the commit a
source is pinned to, so an upstream edit cannot break a fresh install; the
source's branch is only a fallback, and every download is checked against its
checksum whichever URL served it.

Pinned commits (checked against the files in the project's data home, whose
checksums are the ones below):

- ``MICA-MNI/ENIGMA`` at ``9f8d4d7b``: the Schaefer ``hcp_connectivity`` files
  (``*Matrix_with_*ctx_schaefer_N.csv`` for all four N,
  ``funcLabels_with_sctx_schaefer_{100,200,300}.csv`` and
  ``strucLabels_with_sctx_schaefer_400.csv``) have, at this commit, the same
  length and content where compared. The other four label files
  (``funcLabels_with_sctx_schaefer_400.csv``,
  ``strucLabels_with_sctx_schaefer_{100,200,300}.csv``) are byte-identical to
  checked ones but could not be looked up at this commit themselves.
- ``saratheriver/enigma-extra`` at ``0ebda7c5``: the commit of
  ``ahba/allgenes_stable_r0.6_schaefer_100.csv`` and
  ``ahba/allgenes_stable_r0.8_schaefer_100.csv`` (checked). The
  ``r0.6_schaefer_{200,300,400}`` and ``r0.8_schaefer_400`` files could not be
  looked up at any commit; they are assumed to come from the same commit
  (the ``_r0.X_`` files were added together), with the branch as fallback.
- ``neuroinfolab/GeneEx2Conn`` at ``d341edb3``: the Schaefer-400 cell-type
  tables (``data/enigma/schaef400_{Jorstad,LakeDFC}_cell_types.csv``) were
  looked up at this commit; the gene lists (``richiardi2015``, ``syngo``)
  are assumed to come from it, with the branch as fallback.
"""

from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["CHECKSUMS", "DATASETS", "SOURCES", "DatasetSpec", "Source"]

_RAW = "https://raw.githubusercontent.com/"


@dataclass(frozen=True)
class Source:
    """An upstream repository that files are downloaded from.

    Parameters
    ----------
    repository : str
        ``owner/name`` on GitHub.
    commit : str
        The commit downloads are pinned to.
    branch : str, default="master"
        Fallback when the pinned URL fails (the checksum still applies).
    base_url : str, default="https://raw.githubusercontent.com/"
        Prefix of raw-file URLs.
    """

    repository: str
    commit: str
    branch: str = "master"
    base_url: str = _RAW

    def urls(self, path):
        """Candidate URLs of ``path``: pinned commit first, then the branch."""
        return [
            f"{self.base_url}{self.repository}/{ref}/{path}"
            for ref in (self.commit, self.branch)
        ]


SOURCES = MappingProxyType(
    {
        "ENIGMA": Source(
            "MICA-MNI/ENIGMA", commit="9f8d4d7b963db8a226a7522a6a845cf459d33a16"
        ),
        "enigma-extra": Source(
            "saratheriver/enigma-extra",
            commit="0ebda7c579a44ecb10cf94cf154f90109f24c81c",
        ),
        "GeneEx2Conn": Source(
            "neuroinfolab/GeneEx2Conn",
            commit="d341edb3ac4fe2587a4a42a77a856bea46ce95a1",
            branch="main",
        ),
    }
)


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset is made of and which options it accepts.

    Parameters
    ----------
    name : str
        The name passed to ``load_dataset``.
    loader : str or callable
        Key of the loader function in ``connpredict.datasets._load.LOADERS``,
        or the loader itself: ``loader(spec, **options)`` returning the
        dataset Bunch (build it with ``connpredict.datasets._bunch.
        dataset_bunch``); ``options`` are the checked options of
        :func:`~connpredict.datasets.load_dataset`.
    summary : str
        One line for listings (``connpredict datasets``).
    targets : mapping of str to (str, str) or None
        Allowed ``target`` values; for downloaded datasets each maps to the
        keys of its (matrix file, region-label file).
    expression : mapping of float to str
        Allowed ``stability`` values, each mapped to its expression file key.
    checksums : mapping of str to str
        SHA-256 of every upstream file the dataset may read.
    n_parcels : int or None
        Cortical parcels of the atlas (selects the shipped region table).
    descr : str or None
        Name of the ``descr/*.rst`` description template.
    defaults : mapping
        Default option values (``target``, ``stability``).
    """

    name: str
    loader: object
    summary: str
    targets: dict = field(default_factory=dict)
    expression: dict = field(default_factory=dict)
    checksums: dict = field(default_factory=dict)
    n_parcels: int | None = None
    descr: str | None = None
    defaults: dict = field(default_factory=dict)

    def files(self, target=None, stability=None):
        """Upstream keys needed for these options: [expression, matrix, labels].

        Empty for embedded datasets. Raises ValueError naming the allowed
        values when an option is not offered.
        """
        target = self.defaults.get("target") if target is None else target
        stability = self.defaults.get("stability") if stability is None else stability
        self.check_target(target)
        if not self.checksums:
            return []
        if stability not in self.expression:
            offered = ", ".join(str(s) for s in sorted(self.expression))
            raise ValueError(
                f"No expression file with stability={stability} for {self.name}; "
                f"available stability thresholds: {offered}."
            )
        matrix, labels = self.targets[target]
        return [self.expression[stability], matrix, labels]

    def check_target(self, target):
        """Raise ValueError unless ``target`` is offered."""
        if target not in self.targets:
            offered = " or ".join(repr(t) for t in self.targets)
            raise ValueError(
                f"target must be {offered} for {self.name}, got {target!r}."
            )


# -- entries ----------------------------------------------------------------
_HCP = "ENIGMA/enigmatoolbox/datasets/matrices/hcp_connectivity/"
_AHBA = "enigma-extra/ahba/"
_GX = "GeneEx2Conn/data/enigma/"

#: published gene lists (``load_dataset(genes=...)``): name -> (key, SHA-256)
GENE_LISTS = MappingProxyType(
    {
        "richiardi2015": (
            f"{_GX}gene_lists/richiardi2015.txt",
            "441a58499684c999775cce63f935119379000e2b1dc93a10074bacbd9fe3dbad",
        ),
        "syngo": (
            f"{_GX}gene_lists/syngo.txt",
            "ab6349a674956e97a7fbfd380e48a2f54227151c306b880d1a102614c504de54",
        ),
    }
)
#: the one atlas resolution with cell-type proportions: Schaefer-400 (the
#: dataset entries and the feature checks both read this)
CELL_TYPE_PARCELS = 400
#: Schaefer-400 cell-type proportions (``features=("cell_types", ...)``):
#: name -> (key, SHA-256, column prefix)
CELL_TYPES = MappingProxyType(
    {
        "jorstad": (
            f"{_GX}schaef400_Jorstad_cell_types.csv",
            "e356a516b95a8a0887dd83111ab0485a6cf26f1d85fb6b50426a854193b154ab",
            "jorstad_",
        ),
        "lake": (
            f"{_GX}schaef400_LakeDFC_cell_types.csv",
            "3c4c4dabd98cd58c3dcbe1e1a083bda47a7ff9d0fdf1a8ef35165c683abb73ee",
            "lake_",
        ),
    }
)


def _hcp_schaefer(n, *, expression, fc, sc):
    """Spec of ``hcp-schaefer{n}``.

    ``expression`` maps each differential-stability threshold to the SHA-256
    of its expression file; ``fc`` and ``sc`` are the SHA-256 of the
    (matrix, labels) files of each target.
    """
    expr_keys = {s: f"{_AHBA}allgenes_stable_r{s}_schaefer_{n}.csv" for s in expression}
    target_keys = {
        "fc": (
            f"{_HCP}funcMatrix_with_ctx_schaefer_{n}.csv",
            f"{_HCP}funcLabels_with_sctx_schaefer_{n}.csv",
        ),
        "sc": (
            f"{_HCP}strucMatrix_with_sctx_schaefer_{n}.csv",
            f"{_HCP}strucLabels_with_sctx_schaefer_{n}.csv",
        ),
    }
    checksums = {expr_keys[s]: sha for s, sha in expression.items()}
    for target, shas in (("fc", fc), ("sc", sc)):
        checksums.update(zip(target_keys[target], shas))
    # option files: gene lists for all, cell types for Schaefer-400
    checksums.update(dict(GENE_LISTS.values()))
    if n == CELL_TYPE_PARCELS:
        checksums.update({key: sha for key, sha, _ in CELL_TYPES.values()})
    return DatasetSpec(
        name=f"hcp-schaefer{n}",
        loader="enigma_hcp",
        summary=(
            f"HCP group FC/SC + AHBA expression, Schaefer-{n} (7 networks) "
            "+ 14 subcortical regions"
        ),
        targets=target_keys,
        expression=expr_keys,
        checksums=checksums,
        n_parcels=n,
        descr="hcp_schaefer",
        defaults={"target": "fc", "stability": 0.6},
    )


_SPECS = (
    DatasetSpec(
        name="synthetic",
        loader="synthetic",
        summary="embedded synthetic connectome with planted structure (offline)",
        targets={"fc": None},
        defaults={"target": "fc"},
    ),
    _hcp_schaefer(
        100,
        expression={
            0.6: "1ae348737fccf620d143c214f51aa6e8a88939333385931dcff6b4d527e2be9a",
            0.8: "893c75d5e6953aadc1a053d2dbc3effd0e322050f4f71ae5875eb39f8a22477c",
        },
        fc=(
            "afb3c0661e39530f67b3c24ca9dd4957bb0473780a8f7491857e3268d87cad0d",
            "76ea6a84370b5ba1dca288e4ecd2c94716d704a69e4327386a98c563aba0ee41",
        ),
        sc=(
            "01023b1d8252a55adc1b2595483173f0d0b3cf7546dc4cde14914d113d4dbfa2",
            "76ea6a84370b5ba1dca288e4ecd2c94716d704a69e4327386a98c563aba0ee41",
        ),
    ),
    _hcp_schaefer(
        200,
        expression={
            0.6: "af0df30b087050d06b8c49d49ba9958498af8ecc095e27d81d82bdbaaf06e0db",
        },
        fc=(
            "7299a21f596ce568a399dfa6bd35cf2eed26a9cdead65e181c9d8f3b95c21790",
            "c06fe19de89d85c22e9eadd9714ff260c6906bf1021f8c17e5734eb5226fa945",
        ),
        sc=(
            "b9c46f463076536a79a5290d466c1c4466944395455df1901b1f80a051f71c39",
            "c06fe19de89d85c22e9eadd9714ff260c6906bf1021f8c17e5734eb5226fa945",
        ),
    ),
    _hcp_schaefer(
        300,
        expression={
            0.6: "c30e02910b82c9765f710e59753295ca5da2cba1b313e33210043f48a44c7e70",
        },
        fc=(
            "6b5a8d651806c7ad142be917606b8a3a17132b63383b0db62b8145e2438557f4",
            "c7147d0c388bd31027caec73406404850bddce6e4f39b23d962094d489d8c7bb",
        ),
        sc=(
            "0062dc9fdaba38e2414917adcd57c33d6c1be0090d0f873f24de23544a03d415",
            "c7147d0c388bd31027caec73406404850bddce6e4f39b23d962094d489d8c7bb",
        ),
    ),
    _hcp_schaefer(
        400,
        expression={
            0.6: "44b0aefc00ea50ad3db1c46073e5fdf248527152abb1fd26d0f7a9d490def7a0",
            0.8: "afabe1d8587768d376aedd28a01bd9de51092d069f60008b18694da81a0ed074",
        },
        fc=(
            "e566ee0c83cb96e075051b4aac41be9bc1a694dad83c2318e6802bb3c7fa127a",
            "69a4bbfa817f2714db9dc074ff14175fe9e20d57100abc008b514c39435cde6e",
        ),
        sc=(
            "43233cc011d28b596f8d9c1f0884592566a25dddd3372c364b0874d8f1f95d44",
            "69a4bbfa817f2714db9dc074ff14175fe9e20d57100abc008b514c39435cde6e",
        ),
    ),
)

#: name -> :class:`DatasetSpec`, in listing order.
DATASETS = MappingProxyType({spec.name: spec for spec in _SPECS})

#: upstream key -> SHA-256, for every file of every dataset (derived).
CHECKSUMS = MappingProxyType(
    {key: sha for spec in _SPECS for key, sha in spec.checksums.items()}
)


def upstream_urls(key):
    """Candidate download URLs of an upstream key (pinned commit first)."""
    source, _, path = key.partition("/")
    if source not in SOURCES:
        raise KeyError(f"Unknown data source {source!r} in {key!r}.")
    return SOURCES[source].urls(path)
