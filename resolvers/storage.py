"""Where uploaded files live: an interface, and the local-folder store used by default."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    sha256: str
    head: bytes


class TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


class Storage(Protocol):
    async def put(self, prefix: str, chunks: AsyncIterator[bytes], limit: int) -> StoredFile: ...

    def path(self, key: str) -> Path: ...

    async def delete(self, key: str) -> None: ...


class LocalStorage:
    """Files under one folder, named by random keys (never by what the client called them)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        resolved = (self.root / key).resolve()
        if self.root.resolve() not in resolved.parents:
            raise ValueError(f"storage key escapes the storage folder: {key!r}")
        return resolved

    async def put(self, prefix: str, chunks: AsyncIterator[bytes], limit: int) -> StoredFile:
        key = f"{prefix}/{uuid.uuid4().hex}"
        target = self.path(key)
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        head = b""
        partial = target.with_suffix(".part")
        try:
            with partial.open("wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(limit)
                    if len(head) < 64:
                        head = (head + chunk)[:64]
                    digest.update(chunk)
                    out.write(chunk)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return StoredFile(key=key, size=size, sha256=digest.hexdigest(), head=head)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, True)


def sniff_content_type(head: bytes) -> str | None:
    """The media type the bytes say they are; None for executables and unknown binaries."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith((b"MZ", b"\x7fELF", b"#!")):
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The 64-byte head may cut a multi-byte character; only that last one may fail.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return None
    return "text/plain" if "\x00" not in text else None
