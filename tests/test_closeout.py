"""Documents, photos, signatures and quality checks through the GraphQL multipart request spec."""

from __future__ import annotations

import hashlib
import json
import uuid

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n%%EOF\n"

CUSTOMER_CREATE = "mutation($n: String!) { customerCreate(input: {name: $n}) { customer { id } } }"
JOB_CREATE = (
    'mutation($c: ID!) { jobCreate(input: {customerId: $c, title: "Install"}) { job { id } } }'
)
UPLOAD = """
mutation($file: Upload!, $job: ID!, $kind: DocumentKind!) {
  documentUpload(input: {jobId: $job, kind: $kind, file: $file, caption: "Before"}) {
    document { id kind filename contentType sizeBytes sha256 caption url uploadedBy { email } }
    errors { code message field }
  }
}
"""
SIGN = """
mutation($image: Upload!, $job: ID!) {
  signatureCapture(input: {jobId: $job, signerName: "Pat Doe", signerRole: "Owner", purpose: "Work accepted", image: $image}) {
    signature { signerName purpose image { kind contentType } } errors { code field }
  }
}
"""
QUALITY = """
mutation($job: ID!, $score: Int) {
  qualityCheckRecord(input: {jobId: $job, result: PASS, score: $score, notes: "Clean install"}) {
    qualityCheck { result score inspector { email } } errors { code field }
  }
}
"""
TABS = """
query($job: ID!) {
  node(id: $job) {
    ... on Job {
      documents { totalCount nodes { filename } }
      signatures { nodes { signerName } }
      qualityChecks { nodes { result score } }
      timeline(first: 20) { nodes { type } }
    }
  }
}
"""


async def _job(gql, token):
    customer = await gql(CUSTOMER_CREATE, {"n": f"C {uuid.uuid4().hex[:4]}"}, token=token)
    customer_id = customer["data"]["customerCreate"]["customer"]["id"]
    return (await gql(JOB_CREATE, {"c": customer_id}, token=token))["data"]["jobCreate"]["job"][
        "id"
    ]


async def _multipart(client, token, query, variables, file_var, filename, content, claimed_type):
    operations = json.dumps({"query": query, "variables": {**variables, file_var: None}})
    response = await client.post(
        "/graphql",
        headers={"Authorization": f"Bearer {token}"},
        data={"operations": operations, "map": json.dumps({"0": [f"variables.{file_var}"]})},
        files={"0": (filename, content, claimed_type)},
    )
    return response.json()


async def test_photo_upload_stores_bytes_hash_and_downloads_with_token(client, gql, make_company):
    tenant = await make_company()
    job = await _job(gql, tenant.token)

    result = await _multipart(
        client,
        tenant.token,
        UPLOAD,
        {"job": job, "kind": "PHOTO"},
        "file",
        "../../etc/x.png",
        PNG,
        "application/octet-stream",
    )
    document = result["data"]["documentUpload"]["document"]
    download = await client.get(
        document["url"], headers={"Authorization": f"Bearer {tenant.token}"}
    )
    anonymous = await client.get(document["url"])

    assert result["data"]["documentUpload"]["errors"] == []
    assert document["contentType"] == "image/png"
    assert document["filename"] == "x.png"
    assert document["sizeBytes"] == len(PNG)
    assert document["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-disposition"].startswith("attachment")
    assert anonymous.status_code == 401
    tabs = (await gql(TABS, {"job": job}, token=tenant.token))["data"]["node"]
    assert tabs["documents"]["totalCount"] == 1
    assert "document.uploaded" in [n["type"] for n in tabs["timeline"]["nodes"]]


async def test_another_company_cannot_download_a_document(client, gql, make_company):
    owner, other = await make_company(), await make_company()
    job = await _job(gql, owner.token)
    result = await _multipart(
        client,
        owner.token,
        UPLOAD,
        {"job": job, "kind": "DOCUMENT"},
        "file",
        "quote.pdf",
        PDF,
        "application/pdf",
    )
    url = result["data"]["documentUpload"]["document"]["url"]

    response = await client.get(url, headers={"Authorization": f"Bearer {other.token}"})

    assert response.status_code == 404


async def test_file_whose_bytes_are_not_an_image_is_refused_as_photo(client, gql, make_company):
    tenant = await make_company()
    job = await _job(gql, tenant.token)

    executable = await _multipart(
        client,
        tenant.token,
        UPLOAD,
        {"job": job, "kind": "PHOTO"},
        "file",
        "cat.png",
        b"MZ\x90\x00" + bytes(100),
        "image/png",
    )
    pdf_as_photo = await _multipart(
        client,
        tenant.token,
        UPLOAD,
        {"job": job, "kind": "PHOTO"},
        "file",
        "cat.png",
        PDF,
        "image/png",
    )
    empty = await _multipart(
        client,
        tenant.token,
        UPLOAD,
        {"job": job, "kind": "OTHER"},
        "file",
        "empty.txt",
        b"",
        "text/plain",
    )

    for result in (executable, pdf_as_photo, empty):
        errors = result["data"]["documentUpload"]["errors"]
        assert errors[0]["code"] == "VALIDATION" and errors[0]["field"] == ["input", "file"]
    tabs = (await gql(TABS, {"job": job}, token=tenant.token))["data"]["node"]
    assert tabs["documents"]["totalCount"] == 0
    assert [n["type"] for n in tabs["timeline"]["nodes"]] == ["job.created"]


async def test_upload_over_the_size_limit_is_refused(client, gql, make_company, app):
    tenant = await make_company()
    job = await _job(gql, tenant.token)
    limit = app.state.settings.limits.max_upload_bytes

    result = await _multipart(
        client,
        tenant.token,
        UPLOAD,
        {"job": job, "kind": "PHOTO"},
        "file",
        "huge.png",
        PNG + bytes(limit),
        "image/png",
    )

    errors = result["data"]["documentUpload"]["errors"]
    assert errors[0]["code"] == "VALIDATION" and str(limit) in errors[0]["message"]


async def test_signature_and_quality_check(client, gql, make_company):
    tenant = await make_company()
    job = await _job(gql, tenant.token)

    signed = await _multipart(
        client, tenant.token, SIGN, {"job": job}, "image", "sig.png", PNG, "image/png"
    )
    checked = await gql(QUALITY, {"job": job, "score": 92}, token=tenant.token)
    out_of_range = await gql(QUALITY, {"job": job, "score": 120}, token=tenant.token)

    signature = signed["data"]["signatureCapture"]["signature"]
    assert signature["image"] == {"kind": "SIGNATURE", "contentType": "image/png"}
    assert checked["data"]["qualityCheckRecord"]["qualityCheck"]["score"] == 92
    assert out_of_range["data"]["qualityCheckRecord"]["errors"][0]["field"] == ["input", "score"]
    tabs = (await gql(TABS, {"job": job}, token=tenant.token))["data"]["node"]
    assert tabs["signatures"]["nodes"] == [{"signerName": "Pat Doe"}]
    assert tabs["qualityChecks"]["nodes"] == [{"result": "PASS", "score": 92}]
    types = [n["type"] for n in tabs["timeline"]["nodes"]]
    assert types.count("signature.captured") == 1 and types.count("quality_check.recorded") == 1
