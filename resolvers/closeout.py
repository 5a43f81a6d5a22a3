"""Proof of the work: uploaded documents and photos, signatures, quality checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Row

from db.events import record_event
from db.models import documents, quality_checks, signatures, visits
from resolvers.common import OFFICE_ROLES, clean_text, parse_id, require_role, require_viewer
from resolvers.context import Context
from resolvers.errors import ErrorCode, fail
from resolvers.ids import to_global_id
from resolvers.jobs import lock_job
from resolvers.storage import TooLarge, sniff_content_type

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/heic")
ALLOWED_TYPES = {
    "PHOTO": IMAGE_TYPES,
    "SIGNATURE": ("image/png", "image/jpeg", "image/webp"),
    "DOCUMENT": (*IMAGE_TYPES, "application/pdf", "text/plain"),
    "PERMIT": (*IMAGE_TYPES, "application/pdf"),
    "OTHER": (*IMAGE_TYPES, "application/pdf", "text/plain"),
}
CHUNK = 64 * 1024


async def _chunks(upload: Any) -> AsyncIterator[bytes]:
    while True:
        chunk = await upload.read(CHUNK)
        if not chunk:
            return
        yield chunk


def _filename(upload: Any) -> str:
    name = (getattr(upload, "filename", None) or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    return name.strip()[:200] or "upload"


async def store_document(
    ctx: Context, job: Row[Any], kind: str, upload: Any, caption: str | None, *field: str
) -> Row[Any]:
    """Save an upload for a job after checking its size and what its bytes really are."""
    viewer = require_viewer(ctx)
    if upload is None or not hasattr(upload, "read"):
        raise fail(ErrorCode.VALIDATION, "Attach a file (GraphQL multipart request).", *field)
    try:
        stored = await ctx.storage.put(
            f"{job.company_id}/{job.id}", _chunks(upload), ctx.max_upload_bytes
        )
    except TooLarge as exc:
        raise fail(
            ErrorCode.VALIDATION, f"The file is larger than the limit of {exc.limit} bytes.", *field
        ) from exc
    content_type = sniff_content_type(stored.head)
    if stored.size == 0 or content_type not in ALLOWED_TYPES[kind]:
        await ctx.storage.delete(stored.key)
        what = "empty" if stored.size == 0 else (content_type or "not a recognised file type")
        raise fail(
            ErrorCode.VALIDATION,
            f"A {kind.lower()} must be one of {', '.join(ALLOWED_TYPES[kind])}; "
            f"this file is {what}.",
            *field,
        )
    return (
        await ctx.db.execute(
            insert(documents)
            .values(
                company_id=job.company_id,
                job_id=job.id,
                kind=kind,
                filename=_filename(upload),
                content_type=content_type,
                size_bytes=stored.size,
                sha256=stored.sha256,
                storage_key=stored.key,
                caption=caption,
                uploaded_by=viewer.user_id,
            )
            .returning(documents)
        )
    ).one()


async def upload_document(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_viewer(ctx)
    job = await lock_job(ctx, data.job_id, field=("input", "jobId"))
    kind = data.kind if isinstance(data.kind, str) else data.kind.value
    caption = clean_text(data.caption, "input", "caption", max_length=500)
    document = await store_document(ctx, job, kind, data.file, caption, "input", "file")
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type="document.uploaded",
        actor=viewer,
        payload={
            "documentId": to_global_id("Document", document.id),
            "kind": kind,
            "filename": document.filename,
            "sizeBytes": document.size_bytes,
        },
    )
    return document


async def capture_signature(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_viewer(ctx)
    job = await lock_job(ctx, data.job_id, field=("input", "jobId"))
    signer = clean_text(data.signer_name, "input", "signerName", required=True, max_length=200)
    purpose = clean_text(data.purpose, "input", "purpose", required=True, max_length=200)
    visit_id = None
    if data.visit_id is not None:
        visit_id = parse_id(data.visit_id, "Visit", "input", "visitId")
        found = await ctx.db.scalar(
            visits.select()
            .with_only_columns(visits.c.id)
            .where(visits.c.id == visit_id, visits.c.job_id == job.id)
        )
        if found is None:
            raise fail(ErrorCode.NOT_FOUND, "No such visit on this job.", "input", "visitId")
    image = await store_document(ctx, job, "SIGNATURE", data.image, purpose, "input", "image")
    signature = (
        await ctx.db.execute(
            insert(signatures)
            .values(
                company_id=job.company_id,
                job_id=job.id,
                visit_id=visit_id,
                signer_name=signer,
                signer_role=clean_text(data.signer_role, "input", "signerRole", max_length=100),
                purpose=purpose,
                document_id=image.id,
                signed_at=data.signed_at or datetime.now(UTC),
            )
            .returning(signatures)
        )
    ).one()
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type="signature.captured",
        actor=viewer,
        payload={
            "signatureId": to_global_id("Signature", signature.id),
            "signerName": signer,
            "purpose": purpose,
        },
    )
    return signature


async def record_quality_check(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    job = await lock_job(ctx, data.job_id, field=("input", "jobId"))
    result = data.result if isinstance(data.result, str) else data.result.value
    if data.score is not None and not 0 <= data.score <= 100:
        raise fail(ErrorCode.VALIDATION, "The score goes from 0 to 100.", "input", "score")
    check = (
        await ctx.db.execute(
            insert(quality_checks)
            .values(
                company_id=job.company_id,
                job_id=job.id,
                inspector_user_id=viewer.user_id,
                result=result,
                score=data.score,
                notes=clean_text(data.notes, "input", "notes"),
                checked_at=data.checked_at or datetime.now(UTC),
            )
            .returning(quality_checks)
        )
    ).one()
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type="quality_check.recorded",
        actor=viewer,
        payload={
            "qualityCheckId": to_global_id("QualityCheck", check.id),
            "result": result,
            "score": data.score,
        },
    )
    return check
