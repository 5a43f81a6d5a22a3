"""Log records say which request they belong to (web/logs.py)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
import pytest

import resolvers.jobs


async def test_an_error_is_logged_with_the_request_id_the_client_sent(
    client: httpx.AsyncClient,
    make_company: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a resolver that fails in a way nobody planned for
    tenant = await make_company()

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("jobs index corrupted")

    monkeypatch.setattr(resolvers.jobs, "list_jobs", broken)
    request_id = f"trace-{uuid.uuid4().hex[:8]}"

    # when a client sends a request with its own id and meets it
    with caplog.at_level(logging.ERROR):
        response = await client.post(
            "/graphql",
            # A document no earlier test ran: one proven before may be answered by a compiled
            # statement (web/compiled.py) that never calls the resolver.
            json={"query": f"query Logged{uuid.uuid4().hex} {{ jobs {{ totalCount }} }}"},
            headers={"Authorization": f"Bearer {tenant.token}", "X-Request-Id": request_id},
        )

    # then the client sees a masked error and its id echoed, and the log line has both
    assert response.headers["x-request-id"] == request_id
    assert b"jobs index corrupted" not in response.content
    logged = [r for r in caplog.records if "jobs index corrupted" in (r.exc_text or r.getMessage())]
    assert logged, caplog.text
    assert {record.request_id for record in logged} == {request_id}  # type: ignore[attr-defined]
