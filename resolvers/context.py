"""The per-request context every resolver receives (built by web/, typed here)."""

from __future__ import annotations

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
    request: Any = None
    # Average travel speed for ETAs (settings), and per-request memo of resolver-level loaders.
    average_speed_kmh: float = 40.0
    memo: dict[str, Any] = field(default_factory=dict)
    # Filled by graphql-transport-ws from the connection_init payload.
    connection_params: Any = None
    # For subscriptions: the engine to open short sessions on, the bus, and the process-wide
    # cache of event snapshots shared by every subscriber.
    engine: Any = None
    bus: Any = None
    snapshots: Any = None
    # Uploaded files (resolvers/storage.py) and the largest upload accepted.
    storage: Any = None
    max_upload_bytes: int = 20 * 1024 * 1024

    def use_viewer(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.loaders = Loaders(self.db, viewer)

    def refresh(self) -> None:
        """Forget cached rows: a long-lived subscription must not resolve from stale caches."""
        if self.viewer is not None:
            self.loaders = Loaders(self.db, self.viewer)
        self.memo = {k: v for k, v in self.memo.items() if k == "zone"}
