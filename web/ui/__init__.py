"""The Gradio UI: the chat for officials (each answer followed by its sources, clickable [n]
markers, feedback), the retrieval lab for developers, and the list of indexed documents with
document management for administrators. Chinese by default; every fixed string comes from
web/i18n.py, and the 中文/English switch (or ``/?lang=en``) relabels the page.

- ``layout.py``: ``build_ui``, the components and which handler each event calls;
- ``handlers.py``: the event handlers, given the app's ``Services`` once;
- ``rendering.py``: answers as HTML (web/templates/answer.html; every piece of text inert) and the
  tables, as plain functions.

Its CSS and ``<head>`` script are files (web/static/ui.css, ui.js), handed to Gradio by app.py.
"""
