"""The HTTP API, one ``APIRouter`` per surface, each a module-level ``router`` whose handlers get what
they need through ``Depends`` (web/deps.py) and whose authorization is a router dependency
(web/access.py): ask (/api/ask, /api/ask/stream, /api/search), openai_api (/v1), documents
(/api/documents, /healthz), feedback (/api/feedback), admin (/api/admin), identity (/api/me, /login,
/logout) and embed (/embed, /gradio.js). app.py includes them."""
