"""The Gradio chat for officials: Chinese interface, each answer followed by its sources."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from answer.models import Answer, Citation
from answer.pipeline import Answerer, Turn

EXAMPLES = [
    "东莞计划培育几个规模超百亿元的未来产业集群？",
    "2022年东莞R&D研发投入占GDP比重是多少？",
    "中国散裂中子源打靶束流功率达到多少？",
    "东莞政府“一号文”优先支持哪些前沿产业？",
]

CSS = """
.gw-sources { margin-top: .6em; font-size: .92em; }
.gw-source { border-left: 3px solid #c0392b; padding: .2em .6em; margin: .4em 0; }
.gw-source mark { background: #ffe08a; }
.gw-related { color: #666; }
"""


def render_answer(answer: Answer) -> str:
    """The chat message: the answer, then its sources (or related passages) as escaped HTML."""
    parts = [html.escape(answer.answer)]
    if answer.notice:
        parts.insert(0, f"<em>{html.escape(answer.notice)}</em><br>")
    if answer.citations:
        parts.append(_sources("来源", answer.citations, "gw-sources"))
    elif answer.related:
        parts.append(_sources("相关段落（不足以回答问题）", answer.related, "gw-sources gw-related"))
    return "".join(parts)


def _sources(heading: str, citations: list[Citation], css: str) -> str:
    items = "".join(
        f'<div class="gw-source" id="gw-source-{c.id}"><strong>[{c.id}] {html.escape(c.title)}</strong>'
        + (f" · {html.escape(c.section)}" if c.section else "")
        + f"<br>{_highlight(c)}</div>"
        for c in citations
    )
    return f'<div class="{css}"><strong>{heading}</strong>{items}</div>'


def _highlight(citation: Citation) -> str:
    text, quote = citation.text, citation.quote
    start = citation.quote_start if citation.quote_start >= 0 else (text.find(quote) if quote else -1)
    if not quote or start < 0:
        return html.escape(text)
    end = start + len(quote)
    return html.escape(text[:start]) + "<mark>" + html.escape(text[start:end]) + "</mark>" + html.escape(text[end:])


def _history(messages: list[dict[str, Any]]) -> list[Turn]:
    turns = []
    for message in messages or []:
        content = message.get("content")
        if isinstance(content, list):  # Gradio may hand back content blocks
            content = "".join(block.get("text", "") for block in content if isinstance(block, dict))
        if isinstance(content, str) and message.get("role") in ("user", "assistant"):
            turns.append(Turn(role=message["role"], content=content))
    return turns


def build_ui(answerer: Answerer) -> gr.Blocks:
    def respond(question: str, messages: list[dict[str, Any]]):
        question = (question or "").strip()
        if not question:
            return messages, ""
        try:
            reply = render_answer(answerer.ask(question, _history(messages)))
        except Exception:  # the UI shows a message, never a traceback; the log keeps the detail
            import logging

            logging.getLogger("guanwen").exception("answering failed")
            reply = "抱歉，回答时出现错误，请稍后再试。"
        return messages + [
            {"role": "user", "content": question},
            {"role": "assistant", "content": reply},
        ], ""

    with gr.Blocks(title="莞问 · 东莞未来产业问答") as demo:
        gr.Markdown("## 莞问 · 东莞未来产业问答\n根据资料库中的新闻和政策文章回答，每个答案都注明出处。")
        chatbot = gr.Chatbot(label="对话", height=520, elem_id="gw-chat", sanitize_html=True, buttons=["copy"])
        with gr.Row():
            question = gr.Textbox(
                placeholder="请输入问题，例如：东莞计划培育几个规模超百亿元的未来产业集群？",
                show_label=False,
                scale=8,
                elem_id="gw-question",
            )
            send = gr.Button("提问", variant="primary", scale=1, elem_id="gw-send")
        clear = gr.Button("新对话", elem_id="gw-new")
        gr.Examples(EXAMPLES, inputs=question, label="示例问题")
        question.submit(respond, [question, chatbot], [chatbot, question])
        send.click(respond, [question, chatbot], [chatbot, question])
        clear.click(lambda: ([], ""), None, [chatbot, question])
    return demo
