"""Documents and photos, signatures and quality checks of a job."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from resolvers import closeout as resolvers
from resolvers.context import Context
from schema.common import Connection, Node, RowType, UserError, global_id, payload_of, run_mutation
from schema.tenants import User
from schema.workspace import tab_connection

Info = strawberry.Info[Context, None]


@strawberry.enum(description="What a document is.")
class DocumentKind(Enum):
    PHOTO = "PHOTO"
    DOCUMENT = "DOCUMENT"
    PERMIT = "PERMIT"
    SIGNATURE = "SIGNATURE"
    OTHER = "OTHER"


@strawberry.enum(description="Outcome of a quality check.")
class QualityResult(Enum):
    PASS = "PASS"
    FAIL = "FAIL"


@strawberry.type(description="A file attached to a job: photo, document, permit, signature image.")
class Document(RowType, Node):
    kind: DocumentKind
    filename: str
    content_type: str = strawberry.field(description="Detected from the file's bytes.")
    size_bytes: int
    sha256: str
    caption: str | None
    created_at: datetime

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("Document", self.id)  # type: ignore[arg-type]

    @strawberry.field(
        description="Where to download it; send the same Authorization header as for /graphql."
    )
    def url(self) -> str:
        return f"/documents/{global_id('Document', self.id)}"  # type: ignore[arg-type]

    @strawberry.field
    async def uploaded_by(self, info: Info) -> User | None:
        row: Any = self
        if row.uploaded_by is None:
            return None
        return await info.context.loaders.user_by_id.load(row.uploaded_by)  # type: ignore[union-attr, no-any-return]


@strawberry.type(description="A customer's or inspector's signature on a job.")
class Signature(RowType, Node):
    signer_name: str
    signer_role: str | None
    purpose: str
    signed_at: datetime

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("Signature", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="The signature image.")
    async def image(self, info: Info) -> Document | None:
        row: Any = self
        loaders: Any = info.context.loaders
        return await loaders.tab_row("documents").load(row.document_id)  # type: ignore[no-any-return]


@strawberry.type(description="An inspection of the finished work.")
class QualityCheck(RowType, Node):
    result: QualityResult
    score: int | None = strawberry.field(description="0 to 100.")
    notes: str | None
    checked_at: datetime

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("QualityCheck", self.id)  # type: ignore[arg-type]

    @strawberry.field
    async def inspector(self, info: Info) -> User | None:
        row: Any = self
        if row.inspector_user_id is None:
            return None
        return await info.context.loaders.user_by_id.load(row.inspector_user_id)  # type: ignore[union-attr, no-any-return]


@strawberry.type
class JobCloseoutTab:
    """Fields of Job for its proof of work (Job inherits them)."""

    @strawberry.field(description="Photos and documents, newest first by default.")
    async def documents(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        newest_first: bool = True,
    ) -> Connection[Document]:
        return await tab_connection(info, self.id, "documents", first, after, newest_first)  # type: ignore[attr-defined]

    @strawberry.field(description="Signatures collected on the job.")
    async def signatures(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        newest_first: bool = False,
    ) -> Connection[Signature]:
        return await tab_connection(info, self.id, "signatures", first, after, newest_first)  # type: ignore[attr-defined]

    @strawberry.field(description="Quality checks of the work.")
    async def quality_checks(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        newest_first: bool = True,
    ) -> Connection[QualityCheck]:
        return await tab_connection(info, self.id, "quality_checks", first, after, newest_first)  # type: ignore[attr-defined]


@strawberry.input(description="A file for a job, sent as a GraphQL multipart request.")
class DocumentUploadInput:
    job_id: strawberry.ID
    kind: DocumentKind
    file: Upload
    caption: str | None = None


@strawberry.input(description="A signature: who signed, for what, and the image of it.")
class SignatureCaptureInput:
    job_id: strawberry.ID
    signer_name: str
    purpose: str
    image: Upload = strawberry.field(description="PNG, JPEG or WebP of the signature.")
    signer_role: str | None = None
    visit_id: strawberry.ID | None = None
    signed_at: datetime | None = None


@strawberry.input(description="The result of inspecting the work.")
class QualityCheckRecordInput:
    job_id: strawberry.ID
    result: QualityResult
    score: int | None = None
    notes: str | None = None
    checked_at: datetime | None = None


@strawberry.type
class DocumentPayload:
    document: Document | None
    errors: list[UserError]


@strawberry.type
class SignaturePayload:
    signature: Signature | None
    errors: list[UserError]


@strawberry.type
class QualityCheckPayload:
    quality_check: QualityCheck | None
    errors: list[UserError]


@strawberry.type
class CloseoutMutation:
    @strawberry.mutation(
        description="Attach a photo or document (size limit and content checked from the bytes)."
    )
    async def document_upload(self, info: Info, input: DocumentUploadInput) -> DocumentPayload:
        return await run_mutation(
            info,
            lambda: resolvers.upload_document(info.context, input),
            *payload_of(DocumentPayload, "document"),
        )

    @strawberry.mutation(description="Capture a signature.")
    async def signature_capture(self, info: Info, input: SignatureCaptureInput) -> SignaturePayload:
        return await run_mutation(
            info,
            lambda: resolvers.capture_signature(info.context, input),
            *payload_of(SignaturePayload, "signature"),
        )

    @strawberry.mutation(description="Record a quality check.")
    async def quality_check_record(
        self, info: Info, input: QualityCheckRecordInput
    ) -> QualityCheckPayload:
        return await run_mutation(
            info,
            lambda: resolvers.record_quality_check(info.context, input),
            *payload_of(QualityCheckPayload, "quality_check"),
        )
