"""The library's version, as installed."""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("titlerules")
except metadata.PackageNotFoundError:  # running from a source checkout
    __version__ = "0.1.0+source"
