"""Document management for administrators, ``/api/admin/*``: upload articles, delete one, re-index.

The router requires an administrator; ``CorpusAdmin`` (web/corpus_admin.py, which the Documents tab
uses too) checks the role again on every action, so no route depends on one check alone. Every
answer is the action's report (web/admin_report.py) with the status its outcome calls for.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, Form, UploadFile
from fastapi.responses import JSONResponse

from web.access import require_admin
from web.admin_report import Report
from web.corpus_admin import Upload
from web.deps import AdminDep, CallerDep
from web.inputs import stated_metadata

router = APIRouter(prefix="/api/admin", dependencies=[Depends(require_admin)], responses={403: {}, 409: {}})

_STATUS = {"forbidden": 403, "busy": 409, "failed": 500, "no_files": 422, "no_document": 422, "bad_doc_id": 422, "not_found": 404}


@router.post("/documents", responses={413: {}, 422: {}})
def upload_documents(
    files: list[UploadFile], admin: AdminDep, caller: CallerDep,
    title: str = Form("", description="The article's title (one file only), kept as written in its sidecar metadata file."),
    published: str = Form("", description="Date published: YYYY-MM-DD, YYYY-MM or YYYY (2024年3月5日 is read as 2024-03-05)."),
    source: str = Form("", description="Where the article comes from, e.g. 东莞日报."),
):
    """Upload articles (multipart, one or more `files` fields) into the corpus folder and index
    them; `title`, `published` and `source` are written beside them (ARTICLE.meta.json). 200 with
    what was added, updated, unchanged or not saved and why; 413 when every file is over the size
    limit, 422 when none could be saved for another reason (or the metadata is unusable)."""
    stated, problem = stated_metadata(title, published, source, count=len(files))
    if problem:
        report = Report(error=problem[0], error_params=problem[1])
        return JSONResponse(report.as_dict(), status_code=422)
    uploads = [Upload(upload.filename or "", _spool(upload), stated) for upload in files]
    try:
        report = admin.upload(caller, uploads)
    finally:
        for upload in uploads:
            upload.source.unlink(missing_ok=True)
    if not report.error and report.rejected and not (report.changed or report.unchanged):
        status = 413 if all(p.code == "too_big" for p in report.rejected) else 422
        body = report.as_dict()
        body["error"] = "no file was saved: " + "; ".join(f"{p.name}: {p.text('en')}" for p in report.rejected)
        return JSONResponse(body, status_code=status)
    return _response(report)


@router.delete("/documents/{doc_id:path}", responses={404: {}, 422: {}})
def delete_document(doc_id: str, admin: AdminDep, caller: CallerDep):
    """Delete an article: its file leaves the corpus folder and the index follows."""
    return _response(admin.delete(caller, doc_id))


@router.post("/reindex")
def reindex(admin: AdminDep, caller: CallerDep):
    """Make the index mirror the corpus folder again (as `python -m ingest` does)."""
    return _response(admin.reindex(caller))


def _response(report: Report) -> JSONResponse:
    return JSONResponse(report.as_dict(), status_code=_STATUS.get(report.error, 400) if report.error else 200)


def _spool(upload: UploadFile) -> Path:
    """The upload as a file of its own (Starlette keeps small ones in memory), as the UI has them."""
    upload.file.seek(0)
    with tempfile.NamedTemporaryFile(prefix="gw-api-upload-", delete=False) as handle:
        shutil.copyfileobj(upload.file, handle)
    return Path(handle.name)
