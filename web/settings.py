"""Every setting of the service, read from the environment here and nowhere else."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from exc


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Limits:
    """Per-request limits of the GraphQL endpoint."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_page_size: int = 100
    max_upload_bytes: int = 20 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    # None: start the embedded PostgreSQL in data_dir (see db/embedded.py).
    database_url: str | None
    # None: in-memory event bus (single process).
    redis_url: str | None
    data_dir: Path
    limits: Limits
    introspection: bool
    graphiql: bool
    pool_size: int
    load_demo: bool
    average_speed_kmh: int
    relay_interval_seconds: float
    log_level: str
    # Answer hot documents (day board, jobs list) with one compiled SQL statement (web/compiled.py).
    compiled_queries: bool = True
    # How long a process keeps a bearer token's viewer without looking the token up (web/auth.py).
    auth_cache_seconds: int = 5
    # How often a process checks that its live sockets' tokens and users still stand.
    socket_recheck_seconds: float = 60.0

    @property
    def embedded(self) -> bool:
        return self.database_url is None


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)
    data_dir = Path(env.get("OPUS_DATA_DIR") or Path.cwd() / ".opus").expanduser().resolve()
    limits = Limits(
        max_depth=_int(env, "OPUS_MAX_DEPTH", Limits.max_depth),
        max_aliases=_int(env, "OPUS_MAX_ALIASES", Limits.max_aliases),
        max_tokens=_int(env, "OPUS_MAX_TOKENS", Limits.max_tokens),
        max_page_size=_int(env, "OPUS_MAX_PAGE_SIZE", Limits.max_page_size),
        max_upload_bytes=_int(env, "OPUS_MAX_UPLOAD_BYTES", Limits.max_upload_bytes),
    )
    return Settings(
        database_url=env.get("DATABASE_URL") or None,
        redis_url=env.get("REDIS_URL") or None,
        data_dir=data_dir,
        limits=limits,
        introspection=_bool(env, "OPUS_INTROSPECTION", True),
        graphiql=_bool(env, "OPUS_GRAPHIQL", True),
        pool_size=_int(env, "OPUS_DB_POOL_SIZE", 10),
        load_demo=_bool(env, "OPUS_LOAD_DEMO", True),
        average_speed_kmh=_int(env, "OPUS_AVERAGE_SPEED_KMH", 40),
        relay_interval_seconds=_int(env, "OPUS_RELAY_INTERVAL_MS", 1000) / 1000,
        log_level=env.get("OPUS_LOG_LEVEL", "info"),
        compiled_queries=_bool(env, "OPUS_COMPILED_QUERIES", True),
        auth_cache_seconds=_int(env, "OPUS_AUTH_CACHE_SECONDS", 5),
        socket_recheck_seconds=_int(env, "OPUS_SOCKET_RECHECK_MS", 60_000) / 1000,
    )
