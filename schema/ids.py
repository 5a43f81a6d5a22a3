"""Kept for callers of the old path; the ids live in resolvers/ids.py."""

from resolvers.ids import from_global_id, to_global_id

__all__ = ["from_global_id", "to_global_id"]
