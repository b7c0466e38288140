"""Whether the inputs an event request carries fit the event's components (web/gradio_guard.py):
what Gradio would otherwise meet in its own preprocessing and answer with a traceback."""

from __future__ import annotations

from typing import Any, Iterable

import gradio as gr

TEXT_COMPONENTS = (gr.Textbox, gr.Markdown, gr.Dropdown)


def input_problem(fn: Any, data: object) -> str | None:
    """Why ``data`` does not fit ``fn``'s input components, or None."""
    if not isinstance(data, list):
        return "'data' must be a list of the event's inputs"
    inputs = list(fn.inputs)
    shown = [c for c in inputs if not c.skip_api]
    if len(data) not in (len(inputs), len(shown)):
        return f"'data' must hold {len(shown)} inputs, not {len(data)}"
    for number, (component, value) in enumerate(zip(inputs if len(data) == len(inputs) else shown, data)):
        if not _fits(component, value):
            label = getattr(component, "label", None) or type(component).__name__
            return f"'data.{number}' ({label}) is not a value this input takes"
    return None


def _fits(component: Any, value: object) -> bool:
    if value is None or isinstance(component, gr.State):
        return True
    if isinstance(component, gr.Radio):
        return any(value == (c[1] if isinstance(c, tuple) else c) for c in component.choices or [])
    if isinstance(component, TEXT_COMPONENTS):
        return isinstance(value, str)
    if isinstance(component, (gr.Slider, gr.Number)):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(component, gr.Checkbox):
        return isinstance(value, bool)
    if isinstance(component, gr.File):
        items = value if isinstance(value, list) else [value]
        return all(isinstance(f, dict) and isinstance(f.get("path"), str) for f in items)
    if isinstance(component, gr.Chatbot):
        return isinstance(value, list) and all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in value)
    if isinstance(component, gr.Dataframe):
        return isinstance(value, (dict, list))
    return True


def file_objects(value: object) -> Iterable[dict]:
    """Every object in ``value`` that names a file (a ``path``), however deep."""
    if isinstance(value, dict):
        if "path" in value:
            yield value
        for item in value.values():
            yield from file_objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from file_objects(item)
