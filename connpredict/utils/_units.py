"""Display names of connectivity values (colour bars, axis labels)."""

#: label of each dataset target (``load_dataset(..., target=...)``)
CONNECTIVITY_LABELS = {"fc": "FC (Fisher z)", "sc": "SC (log streamlines)"}


def connectivity_label(target=None, scale=None):
    """Label with units of connectivity values of a dataset target.

    Parameters
    ----------
    target : {"fc", "sc"} or None
        The dataset target; anything else gives ``"connectivity"``.
    scale : {None, "minmax"}
        The target's scaling, named in the label when set.

    Returns
    -------
    label : str

    Examples
    --------
    >>> from connpredict.utils._units import connectivity_label
    >>> connectivity_label("fc"), connectivity_label("sc", "minmax")
    ('FC (Fisher z)', 'SC (log streamlines, min-max scaled)')
    >>> connectivity_label(None)
    'connectivity'
    """
    key = target.lower() if isinstance(target, str) else None
    label = CONNECTIVITY_LABELS.get(key, "connectivity")
    if scale:
        label = (
            label[:-1] + f", {scale} scaled)"
            if label.endswith(")")
            else f"{label} ({scale} scaled)"
        )
    return label.replace("minmax", "min-max")
