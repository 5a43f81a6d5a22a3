"""Logging for the service: one line per record, with the request it belongs to.

Every record carries `request_id` (the X-Request-Id the client sent, or one made up and echoed in
the response): an error in a log can be matched with the request that met it, and with the
client's own logs.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("opus_request_id", default=None)
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

_installed = False


def install(level: str) -> None:
    """Once per process: stamp every record with the current request id and write records of
    `level` and above to stderr, one line each."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def stamped(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        record.request_id = REQUEST_ID.get() or "-"
        return record

    logging.setLogRecordFactory(stamped)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    # On the root logger, for every logger of the service and its libraries (uvicorn keeps its
    # own handlers and does not pass its records up).
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level.upper())
