"""Save and load fitted estimators without pickle.

A saved estimator is one ``.npz`` file (a zip of ``.npy`` members, readable
with ``numpy.load(path, allow_pickle=False)``):

* ``__meta__.npy``: UTF-8 JSON (as ``uint8``) with the format name and
  version, the connpredict version, the estimator tree (class names from the
  model registry, hyper-parameters, fitted scalars and references to array
  members) and an ``info`` block (training genes, coordinate space, ...);
* ``aN.npy``: the fitted arrays and, for the neural models, the torch weights
  as numpy arrays;
* ``__sha256__.npy``: SHA-256 over the names and bytes of every other member,
  checked on load so a damaged file (a truncated download, flipped bits)
  gives a clear error. The checksum is stored in the file itself, so it does
  not detect a deliberate edit (whoever edits the file can recompute it); to
  trust a file from someone else, compare the SHA-256 of the whole file with
  a value from a trusted source, as :func:`load_model` does with the package
  index.

Only classes registered in :mod:`connpredict.models._registry`, the
connpredict parts they hold (``RegionEncoder``, ``DiffusionMap``) and a short
list of scikit-learn building blocks they use (PCA, PLS) are instantiated on
load; torch tensors (a region encoder's weights) are stored as numpy arrays;
a file never names an import path. Loading is bounded before anything is
decompressed or allocated: only the members above, stored uncompressed,
are read, and each array's header must declare exactly the bytes the member
holds. Files are byte-for-byte
reproducible: members are stored uncompressed with a fixed timestamp.
"""

import hashlib
import importlib
import io
import json
import math
import re
import zipfile

import numpy as np
import pandas as pd

from connpredict.utils import import_optional
from connpredict.utils._contract import COORD_COLUMNS

FORMAT = "connpredict-estimator"
#: version of the file layout written by :func:`save_estimator`
FORMAT_VERSION = 1
_META = "__meta__.npy"
_SUM = "__sha256__.npy"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# the only member names a saved estimator has
_MEMBER = re.compile(r"__meta__\.npy|__sha256__\.npy|a[0-9]{1,9}\.npy")

# scikit-learn classes that registered estimators keep as fitted attributes
_SKLEARN = {
    "sklearn.PCA": ("sklearn.decomposition", "PCA"),
    "sklearn.PLSRegression": ("sklearn.cross_decomposition", "PLSRegression"),
    "sklearn.StandardScaler": ("sklearn.preprocessing", "StandardScaler"),
}
# connpredict classes that registered estimators hold as parameters or fitted
# parts (a pretrained region encoder, a diffusion map of gradient positions);
# class name -> defining module, loaded by name through connpredict.models
_PARTS = {
    "RegionEncoder": "connpredict.models._pretrain",
    "DiffusionMap": "connpredict.models._gradients",
}
# attributes of the neural models rebuilt from the weights, not stored as is
_NEURAL_SKIP = ("nets_", "net_", "history_")
# wall-clock timings, which differ run to run: not stored, so that one model
# always gives the same file (loaded as NaN)
_TIMINGS = {"RegionEncoder": ("fit_seconds_", "cpu_seconds_")}


def _registry_classes():
    from connpredict.models import model_specs

    return {spec.name: spec.module for spec in model_specs()}


def _class_key(obj):
    """Name under which ``obj``'s class is stored, or None if not allowed."""
    cls = type(obj)
    registry = _registry_classes()
    if cls.__name__ in registry and cls.__module__ == registry[cls.__name__]:
        return cls.__name__
    if _PARTS.get(cls.__name__) == cls.__module__:
        return cls.__name__
    for key, (module, name) in _SKLEARN.items():
        if cls.__name__ == name and cls.__module__.startswith(module):
            return key
    return None


def _resolve_class(key):
    registry = _registry_classes()
    if key in registry or key in _PARTS:
        # through the public table, which names the extra a neural model needs
        import connpredict.models

        return getattr(connpredict.models, key)
    if key in _SKLEARN:
        module, name = _SKLEARN[key]
        return getattr(importlib.import_module(module), name)
    raise ValueError(
        f"The file names class {key!r}, which is not a registered connpredict "
        "estimator; refusing to load it (only registered classes are "
        "instantiated)."
    )


def _is_neural(obj):
    cls = type(obj)
    return any(
        c.__name__ == "NeuralConnectomeRegressor"
        and c.__module__ == "connpredict.models._torch_train"
        for c in cls.__mro__
    )


def _without_durations(v, key="dur"):
    if isinstance(v, dict):
        return {k: _without_durations(x, key) for k, x in v.items() if k != key}
    if isinstance(v, list):
        return [_without_durations(x, key) for x in v]
    return v


def _is_tensor(v):
    return any(
        c.__name__ == "Tensor" and c.__module__ == "torch" for c in type(v).__mro__
    )


class _Writer:
    def __init__(self, training_data=True):
        self.arrays = {}
        self.training_data = training_data
        self.top = True

    def array(self, a):
        key = f"a{len(self.arrays)}"
        self.arrays[key] = a if a.flags.f_contiguous else np.ascontiguousarray(a)
        return key

    def enc(self, v, where):
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, (int, float)) and type(v) in (int, float):
            return v
        if isinstance(v, np.generic):
            if v.dtype.kind not in "biuf":
                raise TypeError(
                    f"Cannot save {where}: numpy scalar of dtype {v.dtype}."
                )
            return {"__scalar__": v.dtype.str, "value": v.item()}
        if isinstance(v, np.ndarray):
            if v.dtype.kind == "O" or v.dtype.kind == "U":
                items = v.ravel().tolist()
                if not all(isinstance(s, str) for s in items):
                    raise TypeError(
                        f"Cannot save {where}: object array with non-string items."
                    )
                return {
                    "__strarray__": items,
                    "shape": list(v.shape),
                    "kind": v.dtype.kind,
                }
            if v.dtype.kind not in "biufc":
                raise TypeError(f"Cannot save {where}: array of dtype {v.dtype}.")
            return {"__array__": self.array(v)}
        if _is_tensor(v):
            try:
                a = v.detach().cpu().numpy()
            except TypeError as exc:  # e.g. bfloat16, which numpy lacks
                raise TypeError(f"Cannot save {where}: tensor ({exc}).") from None
            return {"__tensor__": self.array(a)}
        if isinstance(v, tuple):
            return {
                "__tuple__": [self.enc(x, f"{where}[{i}]") for i, x in enumerate(v)]
            }
        if isinstance(v, list) and type(v) is list:
            return [self.enc(x, f"{where}[{i}]") for i, x in enumerate(v)]
        if isinstance(v, dict) and type(v) is dict:
            if not all(isinstance(k, str) for k in v):
                raise TypeError(f"Cannot save {where}: dict with non-string keys.")
            return {
                "__dict__": {
                    k: self.enc(v[k], f"{where}[{k!r}]") for k in sorted(v)
                }
            }
        if isinstance(v, pd.Index):
            return {"__index__": self.enc(np.asarray(v), where), "name": v.name}
        if isinstance(v, pd.DataFrame):
            if v.shape[1] and len(set(v.dtypes)) > 1:
                raise TypeError(f"Cannot save {where}: DataFrame with mixed dtypes.")
            return {
                "__dataframe__": self.enc(v.to_numpy(), where),
                "index": self.enc(v.index, where),
                "columns": self.enc(v.columns, where),
            }
        if isinstance(v, pd.Series):
            return {
                "__series__": self.enc(v.to_numpy(), where),
                "index": self.enc(v.index, where),
                "name": v.name,
            }
        if type(v).__name__ == "History" and type(v).__module__.startswith("skorch"):
            # wall-clock durations ("dur") differ run to run: not stored, so
            # that one model always gives the same file
            return {"__history__": self.enc(_without_durations(list(v)), where)}
        key = _class_key(v)
        if key is not None:
            return self.estimator(v, key, where)
        raise TypeError(
            f"Cannot save {where} of type {type(v).__name__}: only numbers, "
            "strings, arrays, tables and registered estimators are saved "
            "(use joblib for anything else)."
        )

    def estimator(self, est, key, where):
        state = dict(vars(est))
        out = {"__estimator__": key}
        if self.top and not self.training_data and "X_train_" in state:
            # keep only the per-column training means (used to fill genes a
            # new atlas lacks), not the training regions' table itself
            train = state.pop("X_train_")
            out["feature_means"] = self.enc(train.mean(axis=0), where)
            if "_gradient_genes" in state:
                raise ValueError(
                    f"Cannot save {where} with training_data=False: it positions "
                    "regions by transcriptomic gradients (gradients='expression'), "
                    "which place a new region by its expression similarity to "
                    "every training region, so the model holds the training "
                    "regions' standardised expression. Save it with "
                    "training_data=True, or use reference gradients "
                    "(gradients='lemon-fc') or a gradients DataFrame."
                )
        self.top = False
        for name in _TIMINGS.get(key, ()):
            state.pop(name, None)
        if key in _TIMINGS and state.get("history_") is not None:
            state["history_"] = _without_durations(state["history_"], "seconds")
        if _is_neural(est) and hasattr(est, "net_"):
            nets = getattr(est, "nets_", None) or [est.net_]
            out["modules"] = [
                {
                    k: self.array(t.detach().cpu().numpy())
                    for k, t in net.module_.state_dict().items()
                }
                for net in nets
            ]
            history = state.get("history_")
            out["history"] = None if history is None else self.enc(history, where)
            for k in _NEURAL_SKIP:
                state.pop(k, None)
        out["state"] = {k: self.enc(state[k], f"{where}.{k}") for k in sorted(state)}
        return out


class _Reader:
    def __init__(self, arrays, device):
        self.arrays = arrays
        self.device = device

    def dec(self, v):
        if isinstance(v, list):
            return [self.dec(x) for x in v]
        if not isinstance(v, dict):
            return v
        if "__scalar__" in v:
            return np.dtype(v["__scalar__"]).type(v["value"])
        if "__array__" in v:
            return self.arrays[v["__array__"]].copy(order="K")
        if "__tensor__" in v:
            torch = import_optional("torch", "Loading a model holding torch weights")
            return torch.from_numpy(self.arrays[v["__tensor__"]].copy())
        if "__strarray__" in v:
            dtype = object if v["kind"] == "O" else str
            return np.array(v["__strarray__"], dtype=dtype).reshape(v["shape"])
        if "__tuple__" in v:
            return tuple(self.dec(x) for x in v["__tuple__"])
        if "__dict__" in v:
            return {k: self.dec(x) for k, x in v["__dict__"].items()}
        if "__index__" in v:
            return pd.Index(self.dec(v["__index__"]), name=v["name"])
        if "__dataframe__" in v:
            return pd.DataFrame(
                self.dec(v["__dataframe__"]),
                index=self.dec(v["index"]),
                columns=self.dec(v["columns"]),
            )
        if "__series__" in v:
            return pd.Series(
                self.dec(v["__series__"]), index=self.dec(v["index"]), name=v["name"]
            )
        if "__history__" in v:
            History = import_optional(
                "skorch.history", "Loading a neural model"
            ).History

            return History(self.dec(v["__history__"]))
        if "__estimator__" in v:
            return self.estimator(v)
        raise ValueError(f"Unknown entry in the saved estimator: {sorted(v)}.")

    def estimator(self, v):
        cls = _resolve_class(v["__estimator__"])
        est = cls.__new__(cls)
        state = {k: self.dec(x) for k, x in v["state"].items()}
        if "modules" in v and self.device is not None:
            state["device"] = self.device
        if v["__estimator__"] in _TIMINGS and "history_" in state:
            for name in _TIMINGS[v["__estimator__"]]:
                state[name] = float("nan")
        est.__dict__.update(state)
        if "feature_means" in v:
            est.feature_means_ = self.dec(v["feature_means"])
        if "modules" in v:
            _rebuild_nets(est, v["modules"], self.arrays)
            if v.get("history") is not None:
                est.history_ = self.dec(v["history"])
                est.net_.history = est.history_
        return est


def _rebuild_nets(est, modules, arrays):
    torch = import_optional("torch", "Loading a neural model")

    from connpredict.models import PairNet

    nets = []
    for module_state in modules:
        net = PairNet(
            module=est._module_class,
            criterion=est._criterion,
            device=est.device,
            norm_penalty=float(getattr(est, "norm_penalty", 0.0)),
            **{f"module__{k}": x for k, x in est._module_kwargs(est.n_genes_).items()},
        )
        net.initialize()
        net.module_.load_state_dict(
            {k: torch.from_numpy(arrays[key].copy()) for k, key in module_state.items()}
        )
        net.module_.eval()
        nets.append(net)
    est.nets_ = nets
    est.net_ = nets[0]
    est.history_ = nets[0].history


def _npy_bytes(a):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(a), allow_pickle=False)
    return buf.getvalue()


def _digest(members):
    h = hashlib.sha256()
    for name in sorted(members):
        h.update(name.encode() + b"\0")
        h.update(hashlib.sha256(members[name]).digest())
    return h.hexdigest()


def _training_info(est):
    if hasattr(est, "genes_") and hasattr(est, "encoder_state_"):
        # a fitted region encoder: its genes, in token order
        return {"genes": [str(g) for g in est.genes_], "coordinates": []}
    names = getattr(est, "feature_names_in_", None)
    if names is None:
        return {"genes": None, "coordinates": None}
    names = [str(n) for n in names]
    return {
        "genes": [n for n in names if n not in COORD_COLUMNS],
        "coordinates": [n for n in names if n in COORD_COLUMNS],
    }


def save_estimator(
    estimator, path, *, coordinate_space="MNI152", info=None, training_data=True
):
    """Save a fitted (or unfitted) connpredict estimator to a ``.npz`` file.

    Stores the hyper-parameters, fitted arrays, torch weights (as numpy
    arrays), the training history without its wall-clock durations, the
    training gene names, the coordinate space, the connpredict
    version, a format version and a SHA-256 checksum of the payload; no
    pickle. The file is byte-for-byte deterministic for a given estimator.

    Parameters
    ----------
    estimator : estimator
        An instance of a class in the model registry (see
        :func:`connpredict.models._registry.model_specs`), possibly holding
        a :class:`~connpredict.models.RegionEncoder` or gradient positions,
        or a ``RegionEncoder`` on its own (its wall-clock timings are not
        stored and read NaN after loading, so that one pretraining gives one
        file).
    path : str or path-like
        Where to write (conventionally ending in ``.npz``).
    coordinate_space : str, default="MNI152"
        Space of the ``x``, ``y``, ``z`` columns the estimator was fitted on.
    info : dict or None, default=None
        Extra JSON-serialisable metadata stored with the model (for example
        the training dataset).
    training_data : bool, default=True
        Store the training table ``X_train_``. False stores only its column
        means instead (smaller files, no copy of the training data); the
        loaded estimator then has ``feature_means_`` (a Series) and no
        ``X_train_``, and predicts identically. Refused for a model
        positioned by ``gradients="expression"``, which needs the training
        regions' expression to place new regions.

    Returns
    -------
    path : str
        The path written.

    Raises
    ------
    TypeError
        If the estimator is not registered, or holds something that cannot
        be stored without pickle (for example a ``RandomState`` instance).
    ValueError
        With ``training_data=False`` for a model positioned by
        ``gradients="expression"``.

    See Also
    --------
    load_estimator : Read it back.

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from connpredict import make_synthetic_connectome, ExponentialDecayRegressor
    >>> from connpredict.pretrained import save_estimator, load_estimator
    >>> ds = make_synthetic_connectome(n_regions=20, n_genes=5, random_state=0)
    >>> est = ExponentialDecayRegressor().fit(ds.X, ds.Y)
    >>> path = os.path.join(tempfile.mkdtemp(), "decay.npz")
    >>> _ = save_estimator(est, path)
    >>> np.array_equal(load_estimator(path).predict(ds.X), est.predict(ds.X))
    True
    """
    from connpredict._version import __version__

    key = _class_key(estimator)
    if key is None or key.startswith("sklearn.") or key == "DiffusionMap":
        raise TypeError(
            f"save_estimator saves registered connpredict estimators and "
            f"region encoders, not {type(estimator).__name__}; use joblib for "
            "other objects."
        )
    writer = _Writer(training_data)
    tree = writer.enc(estimator, type(estimator).__name__)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "connpredict_version": __version__,
        "estimator": tree,
        "info": {
            **_training_info(estimator),
            "coordinate_space": coordinate_space,
            **(info or {}),
        },
    }
    text = json.dumps(meta, sort_keys=True, separators=(",", ":"))
    members = {_META: _npy_bytes(np.frombuffer(text.encode(), dtype=np.uint8))}
    for name, a in writer.arrays.items():
        members[f"{name}.npy"] = _npy_bytes(a)
    checksum = _digest(members)
    members[_SUM] = _npy_bytes(np.frombuffer(checksum.encode(), dtype=np.uint8))
    path = str(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in sorted(members):
            zinfo = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            zinfo.external_attr = 0o644 << 16
            zf.writestr(zinfo, members[name])
    return path


def _check_member_list(path, infos):
    """Refuse unknown, duplicated or compressed members before reading any."""
    names = [info.filename for info in infos]
    unknown = [n for n in names if not _MEMBER.fullmatch(n)]
    if unknown:
        raise ValueError(
            f"{path} holds member(s) {unknown[:5]} that a saved connpredict "
            "estimator does not have (only __meta__.npy, __sha256__.npy and "
            "aN.npy); refusing to read it."
        )
    if len(set(names)) != len(names):
        raise ValueError(f"{path} holds duplicated members; refusing to read it.")
    packed = [i.filename for i in infos if i.compress_type != zipfile.ZIP_STORED]
    if packed:
        raise ValueError(
            f"{path} holds compressed member(s) {packed[:5]}; save_estimator "
            "stores members uncompressed, so this file was not written by it. "
            "Refusing to decompress it; re-save the model with save_estimator."
        )


def _read_members(path):
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _check_member_list(path, infos)
            return {info.filename: zf.read(info) for info in infos}
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(
            f"{path} is not a saved connpredict estimator (not a readable zip: "
            f"{exc}); re-save it with save_estimator."
        ) from None


def _read_npy(raw, path, name="member"):
    """Read one ``.npy`` member after checking that its header fits its bytes.

    A header may claim any shape; numpy would allocate that much before
    reading. The declared size must equal the bytes that follow the header.
    """
    buf = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(buf)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(buf)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(buf)
        else:
            raise ValueError(f"unsupported .npy version {version}")
        if dtype.hasobject:
            raise ValueError("object arrays are not allowed")
        declared = math.prod(shape) * dtype.itemsize
        if declared != len(raw) - buf.tell():
            raise ValueError(
                f"its header declares shape {shape} of {dtype} ({declared} "
                f"bytes) but it holds {len(raw) - buf.tell()} bytes"
            )
        buf.seek(0)
        return np.lib.format.read_array(buf, allow_pickle=False)
    except ValueError as exc:
        raise ValueError(f"{path}: corrupted member {name} ({exc}).") from None


def read_metadata(path):
    """The metadata block of a saved estimator, after checking its checksum.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_estimator`.

    Returns
    -------
    meta : dict
        ``format``, ``format_version``, ``connpredict_version`` and ``info``
        (training ``genes``, ``coordinates``, ``coordinate_space`` and any
        extra metadata given when saving).

    Examples
    --------
    >>> import tempfile, os
    >>> from connpredict import make_synthetic_connectome, BilinearRegressor
    >>> from connpredict.pretrained import save_estimator, read_metadata
    >>> ds = make_synthetic_connectome(n_regions=20, n_genes=3, random_state=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "m.npz")
    >>> _ = save_estimator(BilinearRegressor().fit(ds.X, ds.Y), path)
    >>> meta = read_metadata(path)
    >>> meta["info"]["coordinate_space"], len(meta["info"]["genes"])
    ('MNI152', 3)
    """
    meta, _ = _load_checked(path)
    return {k: v for k, v in meta.items() if k != "estimator"}


def _load_checked(path):
    members = _read_members(path)
    if _META not in members or _SUM not in members:
        raise ValueError(
            f"{path} is not a saved connpredict estimator (no metadata or "
            "checksum member); re-save it with save_estimator."
        )
    stored = bytes(_read_npy(members.pop(_SUM), path, _SUM)).decode(
        "ascii", "replace"
    )
    if _digest(members) != stored:
        raise ValueError(
            f"{path} failed its integrity check (SHA-256 of its contents does "
            "not match the stored checksum): the file is damaged or was "
            "modified; download or save it again."
        )
    meta = json.loads(bytes(_read_npy(members.pop(_META), path, _META)).decode())
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path} is not a saved connpredict estimator.")
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"{path} has format version {version} (written by connpredict "
            f"{meta.get('connpredict_version')}); this connpredict reads format "
            f"version {FORMAT_VERSION}: install a matching connpredict version "
            "or re-save the model with this one."
        )
    arrays = {
        name[: -len(".npy")]: _read_npy(raw, path, name)
        for name, raw in members.items()
    }
    return meta, arrays


def load_estimator(path, *, device=None):
    """Load an estimator written by :func:`save_estimator`.

    The member list (names, no compression) and each array header (its
    declared size equals its bytes) are checked before anything is
    allocated, then the checksum and format version; only classes from
    connpredict's model registry (and the scikit-learn PCA/PLS blocks they
    hold) are instantiated, and arrays are read with ``allow_pickle=False``.
    The checksum detects damage, not deliberate edits (it is stored in the
    file): load files from sources you trust, or compare the whole file's
    SHA-256 with a published value.

    Parameters
    ----------
    path : str or path-like
        The saved file.
    device : str or None, default=None
        For the neural models: the torch device to load onto (for example
        ``"cpu"`` for a model trained on a GPU). None keeps the saved one.

    Returns
    -------
    estimator : estimator
        The estimator, fitted if it was saved fitted.

    Raises
    ------
    ValueError
        If the file is damaged (checksum mismatch), holds unknown or
        compressed members or an array whose header does not match its
        bytes, has an unsupported format version, or names a class that is
        not registered.

    See Also
    --------
    save_estimator : Write one.

    Examples
    --------
    >>> import tempfile, os
    >>> from connpredict import make_synthetic_connectome, PLSBilinearRegressor
    >>> from connpredict.pretrained import save_estimator, load_estimator
    >>> ds = make_synthetic_connectome(n_regions=20, n_genes=5, random_state=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "pls.npz")
    >>> _ = save_estimator(PLSBilinearRegressor(n_components=2).fit(ds.X, ds.Y), path)
    >>> type(load_estimator(path)).__name__
    'PLSBilinearRegressor'
    """
    meta, arrays = _load_checked(path)
    return _Reader(arrays, device).dec(meta["estimator"])
