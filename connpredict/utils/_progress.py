"""A progress bar with an ETA on stderr, without dependencies."""

import sys
import time


def _clock(seconds):
    seconds = round(max(float(seconds), 0.0))
    hours, rest = divmod(seconds, 3600)
    return (
        f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
        if hours
        else (f"{rest // 60}:{rest % 60:02d}")
    )


class Progress:
    """One progress bar over a known list of steps, with an estimated time left.

    Each step has a key (e.g. the model it fits); the time left is the sum,
    over the steps still to run, of the mean duration of the finished steps
    with the same key (of all finished steps for a key not seen yet), so a
    slow model's folds are not estimated from a fast one's. On a terminal the
    bar is redrawn in place; otherwise one line is written per step.

    Parameters
    ----------
    keys : list of str
        The key of every step, in the order they run.
    enabled : bool, default=True
        False writes nothing.
    stream : file, default=None
        Where to write; None is ``sys.stderr``.
    width : int, default=24
        Characters of the bar.

    Examples
    --------
    >>> import io
    >>> from connpredict.utils._progress import Progress
    >>> out = io.StringIO()
    >>> bar = Progress(["a", "b"], stream=out)
    >>> bar.advance("first")
    >>> bar.advance("second")
    >>> bar.close()
    >>> out.getvalue().splitlines()[-1].startswith("[2/2] 100%")
    True
    """

    def __init__(self, keys, *, enabled=True, stream=None, width=24):
        self.keys = list(keys)
        self.enabled = enabled
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self.done = 0
        self.start = self.last = time.perf_counter()
        self.durations = {}
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def eta(self):
        """Estimated seconds left (NaN before the first step finishes)."""
        if not self.durations:
            return float("nan")
        every = [d for ds in self.durations.values() for d in ds]
        overall = sum(every) / len(every)
        left = 0.0
        for key in self.keys[self.done :]:
            seen = self.durations.get(key)
            left += sum(seen) / len(seen) if seen else overall
        return left

    def advance(self, label=""):
        """Mark the next step finished; ``label`` says what it was."""
        now = time.perf_counter()
        if self.done < len(self.keys):
            key = self.keys[self.done]
            self.durations.setdefault(key, []).append(now - self.last)
        self.done += 1
        self.last = now
        if not self.enabled:
            return
        total = max(len(self.keys), 1)
        frac = min(self.done / total, 1.0)
        filled = round(frac * self.width)
        eta = self.eta()
        eta_text = "?" if eta != eta else _clock(eta)
        line = (
            f"[{self.done}/{len(self.keys)}] {frac:4.0%} "
            f"|{'#' * filled}{'-' * (self.width - filled)}| "
            f"elapsed {_clock(now - self.start)}, left ~{eta_text}  {label}"
        )
        if self._tty:
            self.stream.write("\r" + line[:119].ljust(119))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self):
        """End the bar's line (on a terminal)."""
        if self.enabled and self._tty:
            self.stream.write("\n")
            self.stream.flush()
