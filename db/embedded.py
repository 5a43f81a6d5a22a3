"""The embedded PostgreSQL 16 (the `pgserver` package) used when no DATABASE_URL is configured.

The cluster lives in `<data_dir>/pg`: created with `initdb` on first use (about a second), then
only started, or found already running, later (about 0.1 s). It listens on a unix socket only,
never on TCP, with trust authentication for the `postgres` superuser; the service uses the
cluster's `postgres` database.

Lifetime (pgserver's `cleanup_mode="stop"`): every process that calls `start_embedded` registers
its pid in `<data_dir>/pg/.handle_pids.json`, and the last registered process to exit stops the
server. So `opus serve` keeps it up while it runs (its uvicorn workers only connect, through the
DATABASE_URL it exports, and hold no handle), a CLI command run beside it leaves it running, and
a lone `opus db upgrade` starts and stops it. Pids of processes that died without their exit
hook (SIGKILL, a crash) are dropped before registering, so the server still stops with the last
live user instead of running forever.

The data folder's path must not contain whitespace or quotes (pgserver passes it to postgres
unquoted); `start_embedded` refuses such a path with a ValueError.

When run as root, pgserver runs the server as the OS user `pgserver` (created if missing), makes
the data folder its own, and opens the folders above it for traversal (o+rx).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from urllib.parse import quote

DATABASE = "postgres"
USER = "postgres"


def embedded_url(socket_dir: Path | str) -> str:
    """The `postgresql://` URL (unix socket in `host=`) that db.engine.async_url accepts."""
    return f"postgresql://{USER}@/{DATABASE}?host={quote(str(socket_dir), safe='/')}"


def start_embedded(data_dir: Path) -> str:
    """Start (or join) the embedded server in `<data_dir>/pg` and return its database URL."""
    # pgserver resolves its lock folder at import and warns when XDG_RUNTIME_DIR is unset; it
    # then falls back to a private folder under /tmp, which is what we want.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    data_dir = Path(data_dir).expanduser().resolve()
    pgdata = data_dir / "pg"
    # pgserver hands the socket folder (the data folder) to postgres unquoted.
    if any(c.isspace() or c in "'\"\\" for c in str(pgdata)):
        raise ValueError(
            f"The embedded PostgreSQL cannot live in {str(pgdata)!r}: its path must not contain "
            "spaces or quotes. Set OPUS_DATA_DIR to another folder."
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    # The same inter-process lock pgserver holds while it edits the handle list.
    with pgserver.PostgresServer._lock:
        _forget_dead_handles(pgdata)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    if socket_dir is None:
        raise RuntimeError(f"the embedded PostgreSQL in {pgdata} has no unix socket")
    return embedded_url(socket_dir)


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop pids of processes gone without unregistering, so the last live user still stops it."""
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if _is_alive(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
