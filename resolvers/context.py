"""The per-request context every resolver receives (built by web/, typed here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from db.auth import Viewer
from db.session import RequestDB
from loaders import Loaders


@dataclass
class Context:
    db: RequestDB
    viewer: Viewer | None
    max_page_size: int
    # Set by web/ once a viewer is known; resolvers never build their own.
    loaders: Loaders | None = None
    # Raw bearer token of the request (logout revokes it).
    token: str | None = None
    # Called after the request's transaction commits (wakes the outbox relay).
    after_commit: list[Callable[[], Any]] = field(default_factory=list)
    request: Any = None

    def use_viewer(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.loaders = Loaders(self.db, viewer)
