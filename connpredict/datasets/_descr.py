"""Dataset descriptions shipped as reStructuredText files."""

from importlib import resources


def load_descr(name):
    """Return the text of ``connpredict/datasets/descr/<name>.rst``."""
    return (
        resources.files("connpredict.datasets")
        .joinpath("descr", f"{name}.rst")
        .read_text(encoding="utf-8")
    )
