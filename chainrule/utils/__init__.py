"""Utilities, mirroring ``torch.utils``: ``chainrule.utils.data`` holds the data loading API."""

from . import data

__all__ = ["data"]
