"""Downloading job documents: the same bearer token and tenancy rules as the GraphQL API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from db.auth import authenticate
from db.models import documents, jobs
from db.session import RequestDB
from loaders.access import visible_jobs
from resolvers.ids import from_global_id
from resolvers.storage import Storage
from web.graphql import bearer_token


def document_endpoint(
    engine: AsyncEngine, storage: Storage
) -> Callable[[Request], Awaitable[Response]]:
    async def download(request: Request) -> Response:
        token = bearer_token(request.headers.get("authorization"))
        parsed = from_global_id(request.path_params["document_id"])
        db = RequestDB(engine)
        try:
            viewer = await authenticate(db, token) if token else None
            if viewer is None:
                return JSONResponse({"error": "UNAUTHENTICATED"}, 401)
            if parsed is None or parsed[0] != "Document":
                return JSONResponse({"error": "NOT_FOUND"}, 404)
            row = await db.one_or_none(
                select(documents).where(
                    documents.c.id == parsed[1],
                    documents.c.company_id == viewer.company_id,
                    documents.c.job_id.in_(visible_jobs(select(jobs.c.id), viewer)),
                )
            )
            await db.commit()
        finally:
            await db.close()
        if row is None:
            return JSONResponse({"error": "NOT_FOUND"}, 404)
        # Never rendered inline: a stored file must not run as a page on our origin.
        return FileResponse(
            storage.path(row.storage_key),
            media_type=row.content_type,
            filename=row.filename,
            content_disposition_type="attachment",
            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=0"},
        )

    return download
