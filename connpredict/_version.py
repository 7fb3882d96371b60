"""The version of connpredict (kept apart so subpackages need not import the root)."""

__version__ = "0.1.0.dev0"
