"""Reference connectomes for gradient positioning (never a prediction target).

A reference connectome is a group connectome from *other* data than the
target: its gradients position regions (``region_position="gradients"`` of
the neural models) without any information about the target connectivity.
Each comes with the MNI coordinates of its regions, so that its gradients can
be carried onto any atlas by position.
"""

from types import MappingProxyType

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from connpredict.datasets._fetch import fetch_file

_GX = "GeneEx2Conn/data/"

#: name -> description, files (key -> SHA-256) and the reader's arguments
REFERENCES = MappingProxyType(
    {
        "lemon-fc": {
            "summary": (
                "MPI-LEMON group functional connectivity, iPA_391 parcellation "
                "(391 regions; Brain Hierarchical Atlas BHA2)"
            ),
            "kind": "bha2",
            "matrix": (
                f"{_GX}BHA2/iPA_391/fc/fc_mean.csv",
                "00427cef52bfddcc5cb330ed775ebbade8377084dcaf649fafd6f462d3f08319",
            ),
            "regions": (
                f"{_GX}BHA2/iPA_391/iPA_391.csv",
                "ad00b0fb8dc9e8bbe83a19c7d38abfa12c7481cb82f35b270b406a2c2692e372",
            ),
        },
        "lemon-fc-183": {
            "summary": (
                "MPI-LEMON group functional connectivity, iPA_183 parcellation "
                "(183 regions; Brain Hierarchical Atlas BHA2)"
            ),
            "kind": "bha2",
            "matrix": (
                f"{_GX}BHA2/iPA_183/fc/fc_mean.csv",
                "3f6f8b3a160588939bdd20218ccff51b510f1f43d31c96fd7acf51428533cc15",
            ),
            "regions": (
                f"{_GX}BHA2/iPA_183/iPA_183.csv",
                "af70c4c507cee96b42c62d13da84b41917bc49f59af35ef5bc0ebb8d51b7005b",
            ),
        },
        "hcp-sc": {
            "summary": (
                "HCP-1200 group structural connectivity (diffusion streamline "
                "counts, log1p), 4S456 atlas: Schaefer-400 + 56 subcortical and "
                "cerebellar regions"
            ),
            "kind": "4s456",
            "matrix": (
                f"{_GX}HCP1200/4S456_DTI_count.mat",
                "4c58f124746957723d0150299bf8ab1fd123c489558c9f3dce94f2623f80f4fe",
            ),
            "regions": (
                f"{_GX}atlases/atlas-4S456Parcels_dseg_reformatted.csv",
                "6fd8fbda3496b202e297a032c2bdb0eb29e6f410b3f430bdbb3c8c0faa097125",
            ),
        },
    }
)


def reference_names():
    """Return the names accepted by :func:`load_reference_connectome`.

    Returns
    -------
    names : list of str
        The reference connectomes, e.g. ``"lemon-fc"``.

    Examples
    --------
    >>> from connpredict.datasets import reference_names
    >>> reference_names()
    ['lemon-fc', 'lemon-fc-183', 'hcp-sc']
    """
    return list(REFERENCES)


def load_reference_connectome(
    name="lemon-fc", *, data_home=None, download_if_missing=True
):
    """Load a reference connectome and the MNI coordinates of its regions.

    Reference connectomes come from other people and scans than the
    prediction targets (the MPI-LEMON resting-state study, HCP diffusion
    tractography); their gradients position regions without revealing any
    target connectivity (see :func:`connpredict.models.region_gradients`).

    ``"lemon-fc"`` (391 regions) and ``"lemon-fc-183"``: the group-mean
    functional connectivity of the MPI-LEMON data set in the iPA
    parcellations of the Brain Hierarchical Atlas (BHA2), as distributed with
    the GeneEx2Conn research code; region coordinates are the parcels' MNI
    centroids (``X_MNI``, ``Y_MNI``, ``Z_MNI``). ``"hcp-sc"``: HCP-1200 group
    diffusion streamline counts in the 4S456 atlas, ``log1p``-transformed as
    the research code does; coordinates from the 4S456 region table.

    Parameters
    ----------
    name : {"lemon-fc", "lemon-fc-183", "hcp-sc"}, default="lemon-fc"
        Which reference.
    data_home : str or path-like, default=None
        See :func:`get_data_home`.
    download_if_missing : bool, default=True
        If False, raise (naming the file and where to put it) instead of
        downloading.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``connectome``: square DataFrame (region labels; zero diagonal);
        ``regions``: DataFrame with columns ``x``, ``y``, ``z`` (MNI mm), same
        index; ``DESCR``: one line.

    Raises
    ------
    ValueError
        For an unknown ``name``.
    OSError
        When a file is missing and cannot be downloaded.

    Examples
    --------
    >>> from connpredict.datasets import load_reference_connectome
    >>> load_reference_connectome("nowhere")
    Traceback (most recent call last):
    ...
    ValueError: Unknown reference connectome 'nowhere'; ...
    """
    if name not in REFERENCES:
        raise ValueError(
            f"Unknown reference connectome {name!r}; choose one of {reference_names()}."
        )
    spec = REFERENCES[name]
    paths = {}
    for part in ("matrix", "regions"):
        key, sha = spec[part]
        paths[part] = fetch_file(
            key,
            sha256=sha,
            data_home=data_home,
            download_if_missing=download_if_missing,
        )
    if spec["kind"] == "bha2":
        table = pd.read_csv(paths["regions"])
        labels = [f"iPA_{int(r)}" for r in table["ROI_number"]]
        coords = table[["X_MNI", "Y_MNI", "Z_MNI"]].to_numpy(dtype=float)
        matrix = pd.read_csv(paths["matrix"], header=None).to_numpy(dtype=float)
    else:
        from scipy.io import loadmat

        table = pd.read_csv(paths["regions"])
        labels = [str(v) for v in table["label"]]
        coords = table[["mni_x", "mni_y", "mni_z"]].to_numpy(dtype=float)
        raw = loadmat(str(paths["matrix"]))["connectivity"].astype(float)
        matrix = np.log1p(np.clip(raw, 0.0, None))
    if matrix.shape != (len(labels), len(labels)):
        raise ValueError(
            f"Reference {name!r}: the connectome is {matrix.shape} but the region "
            f"table has {len(labels)} rows; the files in the data home are not "
            "the registered ones."
        )
    matrix = (matrix + matrix.T) / 2.0
    np.fill_diagonal(matrix, 0.0)
    index = pd.Index(labels, name="region")
    return Bunch(
        connectome=pd.DataFrame(matrix, index=index, columns=index),
        regions=pd.DataFrame(coords, index=index, columns=["x", "y", "z"]),
        DESCR=spec["summary"],
    )
