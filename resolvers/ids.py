"""Relay global ids: base64 of "TypeName:databaseId", opaque to clients."""

from __future__ import annotations

import base64
import binascii


def to_global_id(type_name: str, db_id: int) -> str:
    return base64.b64encode(f"{type_name}:{db_id}".encode()).decode()


def from_global_id(global_id: str) -> tuple[str, int] | None:
    """(type name, database id), or None when the id is not one of ours."""
    try:
        decoded = base64.b64decode(global_id.encode(), validate=True).decode()
        type_name, _, raw_id = decoded.partition(":")
        db_id = int(raw_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    # Ids are PostgreSQL bigints; anything larger names nothing.
    if not type_name or not 0 < db_id < 2**63:
        return None
    return type_name, db_id
