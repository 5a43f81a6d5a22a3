"""DataLoaders: one set per request, each batch filtered by the viewer's company."""

from loaders.registry import Loaders

__all__ = ["Loaders"]
