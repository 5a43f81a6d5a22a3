"""Signed-in viewers remembered per process, so most requests skip the token lookup.

A bearer token's viewer (user, company, role, technician profile) is kept for `ttl` seconds
after it was read from the database, and never past the token's own expiry. A transaction that
revokes a token (logout) or changes what a user's viewer holds (db/auth.py records both on its
RequestDB) drops them here as soon as it commits, before its response is sent, and every other
process drops them when the message on VIEWERS_CHANNEL reaches it, a moment later. When the bus
may have lost messages (a Resync: Redis dropped or this process fell behind), everything cached
is dropped. A change made behind the API's back (SQL by hand) is seen within `ttl`.

A lookup that raced with a revocation must not put back what the revocation dropped: a viewer
read before the revocation committed is kept only if nothing was dropped since the lookup began.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from db.auth import Viewer
from subscriptions.bus import Bus, BusUnavailable, Resync

log = logging.getLogger("opus.auth")

VIEWERS_CHANNEL = "opus:viewers"
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class _Entry:
    viewer: Viewer
    until: float  # time.monotonic()


class ViewerCache:
    def __init__(self, ttl: float, *, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[bytes, _Entry] = {}
        # Bumped whenever anything is dropped; see `put`.
        self.generation = 0
        self._listener: asyncio.Task[None] | None = None
        # Told of every drop, from this process or another: (token ids, user ids).
        self.on_forget: list[Callable[[set[int], set[int]], None]] = []

    def get(self, digest: bytes) -> Viewer | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry.until <= time.monotonic():
            del self._entries[digest]
            return None
        return entry.viewer

    def put(self, digest: bytes, viewer: Viewer, generation: int) -> None:
        """Keep a viewer read from the database by a lookup that began at `generation`."""
        if self.ttl <= 0 or generation != self.generation:
            return
        lifetime = self.ttl
        if viewer.token_expires_at is not None:
            left = (viewer.token_expires_at - datetime.now(UTC)).total_seconds()
            lifetime = min(lifetime, left)
        if lifetime <= 0:
            return
        if len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]  # the oldest
        self._entries[digest] = _Entry(viewer, time.monotonic() + lifetime)

    def forget(self, token_ids: Iterable[int] = (), user_ids: Iterable[int] = ()) -> None:
        tokens, users = set(token_ids), set(user_ids)
        self.generation += 1
        self._entries = {
            digest: entry
            for digest, entry in self._entries.items()
            if entry.viewer.token_id not in tokens and entry.viewer.user_id not in users
        }
        for listener in self.on_forget:
            listener(tokens, users)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()

    async def changed(self, bus: Bus, token_ids: Iterable[int], user_ids: Iterable[int]) -> None:
        """A committed transaction revoked tokens or changed users: drop them here and in every
        other process."""
        tokens, users = sorted(token_ids), sorted(user_ids)
        self.forget(tokens, users)
        try:
            await bus.publish(VIEWERS_CHANNEL, json.dumps({"tokens": tokens, "users": users}))
        except BusUnavailable:
            log.warning(
                "could not tell other processes that tokens %s and users %s changed; "
                "they notice within %s s",
                tokens,
                users,
                self.ttl,
            )

    async def start(self, bus: Bus) -> None:
        """Listen for other processes' changes; returns once subscribed."""
        subscribed = asyncio.Event()
        self._listener = asyncio.create_task(self._listen(bus, subscribed), name="viewer-cache")
        waiter = asyncio.create_task(subscribed.wait())
        await asyncio.wait({self._listener, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if self._listener.done():
            self._listener.result()  # raises what stopped it

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None

    async def _listen(self, bus: Bus, subscribed: asyncio.Event) -> None:
        async with bus.subscribe(VIEWERS_CHANNEL) as messages:
            subscribed.set()
            async for message in messages:
                if isinstance(message, Resync):
                    self.clear()
                    continue
                try:
                    change = json.loads(message)
                    self.forget(change["tokens"], change["users"])
                except (ValueError, KeyError, TypeError):
                    log.warning("unreadable message on %s: %r", VIEWERS_CHANNEL, message)
                    self.clear()
