"""What the routers' handlers are given, through FastAPI's ``Depends``.

app.py builds one ``Services`` (the composition root decides what each piece is) and puts it on
``app.state.services``; a handler names what it needs by type, e.g. ``answerer: AnswererDep``, and
never reaches for a global or through one piece into another. The chat UI (web/ui/) is given the
same ``Services``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from answer.pipeline import Answerer
from settings import Settings
from web.auth import Authenticator, Identity, identity_of
from web.corpus_admin import CorpusAdmin
from web.feedback import FeedbackStore
from web.library import Library
from web.uploads import UploadRegistry


@dataclass(frozen=True)
class Services:
    settings: Settings
    answerer: Answerer  # questions in, cited and verified answers out
    library: Library  # what is indexed, ranked passages, the vectors' health
    feedback: FeedbackStore
    admin: CorpusAdmin  # uploads, re-index, delete
    authenticator: Authenticator
    uploads: UploadRegistry  # files uploaded through the UI, until an upload event uses them


def _part(name: str) -> Any:
    """The dependency that hands a handler one part of ``app.state.services``. A coroutine: it only
    looks something up, so it runs on the event loop rather than costing each request a trip
    through the thread pool."""

    async def part(request: Request) -> Any:
        return getattr(request.app.state.services, name)

    part.__name__ = name
    return Depends(part)


async def _caller(request: Request) -> Identity | None:
    return identity_of(request)


SettingsDep = Annotated[Settings, _part("settings")]
AnswererDep = Annotated[Answerer, _part("answerer")]
LibraryDep = Annotated[Library, _part("library")]
FeedbackDep = Annotated[FeedbackStore, _part("feedback")]
AdminDep = Annotated[CorpusAdmin, _part("admin")]
AuthenticatorDep = Annotated[Authenticator, _part("authenticator")]
CallerDep = Annotated[Identity | None, Depends(_caller)]  # who is asking (web/access.py put it there)
