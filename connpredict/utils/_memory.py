"""An up-front check that a fit's region-pair arrays fit in memory, and a
cheaper garbage collector for long blocks of work (:func:`frozen_heap`)."""

import contextlib
import gc

#: peak bytes per region pair of a classical fit + predict (tracemalloc,
#: 800 and 1,600 regions: decay and CGE 84, bilinear and PLS 100)
BYTES_PER_PAIR = 100


def available_memory():
    """Bytes of memory available to a new allocation, or None if unknown.

    Linux's ``MemAvailable`` (``/proc/meminfo``); None elsewhere.

    Examples
    --------
    >>> from connpredict.utils._memory import available_memory
    >>> m = available_memory()
    >>> m is None or m > 0
    True
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_pair_memory(n_regions, *, what="Fitting", available=None):
    """Refuse, before any work, a number of regions whose pairs cannot fit.

    Parameters
    ----------
    n_regions : int
        Regions in the fit.
    what : str, default="Fitting"
        Starts the message.
    available : int or None, default=None
        Bytes available; None reads :func:`available_memory` (no check when
        that is unknown).

    Raises
    ------
    MemoryError
        When ``n_regions * (n_regions - 1) / 2`` pairs at
        :data:`BYTES_PER_PAIR` bytes exceed the available memory; the message
        gives both figures and what to do.

    Examples
    --------
    >>> from connpredict.utils._memory import check_pair_memory
    >>> check_pair_memory(100, available=10**9)
    >>> check_pair_memory(20_000, available=8 * 2**30)
    Traceback (most recent call last):
    ...
    MemoryError: Fitting 20000 regions means 199,990,000 region pairs: ...
    """
    if available is None:
        available = available_memory()
    if available is None:
        return
    pairs = n_regions * (n_regions - 1) // 2
    need = pairs * BYTES_PER_PAIR
    if need > available:
        raise MemoryError(
            f"{what} {n_regions} regions means {pairs:,} region pairs: about "
            f"{need / 2**30:.1f} GB ({BYTES_PER_PAIR} bytes per pair), more than "
            f"the {available / 2**30:.1f} GB of memory available. Use a coarser "
            "parcellation or a subset of regions, or a machine with more memory."
        )


@contextlib.contextmanager
def frozen_heap():
    """Keep the objects alive at entry out of the garbage collector's passes.

    Python's full collections traverse every tracked object: after torch,
    pandas and a run's models are loaded, each one costs about 0.15-0.2 s,
    and drawing a report's figures triggers several. Inside the block the
    objects that existed at entry are frozen (:func:`gc.freeze`): they are
    not scanned, and not collected, until the block ends and they are
    unfrozen. Objects made inside the block are collected as usual. When
    the caller has frozen objects already, the block leaves the freezing to
    them.

    Examples
    --------
    >>> import gc
    >>> from connpredict.utils._memory import frozen_heap
    >>> with frozen_heap():
    ...     gc.get_freeze_count() > 0
    True
    >>> gc.get_freeze_count()
    0
    """
    if gc.get_freeze_count():  # the caller's freeze: leave it as it is
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
