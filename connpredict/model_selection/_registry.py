"""Splitters by name: the table the main job and the command line read."""

from types import MappingProxyType

from connpredict.model_selection._split import (
    CommunitySplit,
    NetworkSplit,
    RandomSplit,
    SpatialSplit,
)

#: name -> splitter class (its factory); ``connpredict run --cv`` takes these
SPLITTERS = MappingProxyType(
    {
        "spatial": SpatialSplit,
        "random": RandomSplit,
        "community": CommunitySplit,
        "network": NetworkSplit,
    }
)


def make_splitter(name, n_splits=4, *, random_state=None):
    """Build a splitter from its name in :data:`SPLITTERS`.

    ``n_splits`` and ``random_state`` are set when the splitter takes them:
    :class:`NetworkSplit` takes neither (one fold per network; its ``split``
    needs ``groups=ds.networks``).

    Parameters
    ----------
    name : str
        ``"spatial"``, ``"random"``, ``"community"`` or ``"network"``.
    n_splits : int, default=4
        Number of test folds.
    random_state : int or None, default=None
        Seed of the folds.

    Returns
    -------
    splitter : cross-validator
        A new, unfitted splitter.

    Examples
    --------
    >>> from connpredict.model_selection import SPLITTERS, make_splitter
    >>> sorted(SPLITTERS)
    ['community', 'network', 'random', 'spatial']
    >>> make_splitter("community", 3, random_state=0)
    CommunitySplit(n_splits=3, random_state=0, resolution=1.0)
    >>> make_splitter("network", 3)
    NetworkSplit()
    """
    if not isinstance(name, str) or name not in SPLITTERS:
        raise ValueError(f"unknown cv {name!r}; choose from {', '.join(SPLITTERS)}.")
    cls = SPLITTERS[name]
    accepted = cls().get_params()
    params = {"n_splits": n_splits, "random_state": random_state}
    return cls(**{k: v for k, v in params.items() if k in accepted})
