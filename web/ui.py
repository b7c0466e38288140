"""The Gradio chat for officials: Chinese interface, each answer followed by its sources."""

from __future__ import annotations

import html
import logging
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
.gw-query, .gw-notice, .gw-verification, .gw-pending { color: #666; font-size: .88em; margin-bottom: .3em; }
"""


def render_answer(answer: Answer, asked: str) -> str:
    """The chat message: what was searched (if rewritten), the answer, what verification removed,
    then its sources (or the related passages of a refusal), all HTML-escaped."""
    parts = []
    if answer.query and answer.query != asked:
        parts.append(f'<div class="gw-query">检索：{html.escape(answer.query)}</div>')
    if answer.notice:
        parts.append(f'<div class="gw-notice">{html.escape(answer.notice)}</div>')
    parts.append(html.escape(answer.answer))
    removed = answer.verification and (answer.verification.citations_removed + answer.verification.sentences_dropped)
    if removed:
        parts.append(f'<div class="gw-verification">已删去 {removed} 处无法在资料中核实的内容。</div>')
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


def build_ui(answerer: Answerer) -> gr.Blocks:
    def respond(question: str, messages: list[dict[str, Any]], turns: list[dict[str, str]]):
        question = (question or "").strip()
        if not question:
            yield messages, "", turns
            return
        history = [Turn(role=t["role"], content=t["content"]) for t in turns]
        messages = messages + [{"role": "user", "content": question}, {"role": "assistant", "content": ""}]
        provisional = ""
        try:
            for event in answerer.ask_stream(question, history):
                if event.kind == "token":
                    provisional += event.text
                    messages[-1]["content"] = html.escape(provisional) + '<div class="gw-pending">生成中，核实后显示来源…</div>'
                    yield messages, "", turns
                elif event.kind == "answer" and event.answer is not None:
                    messages[-1]["content"] = render_answer(event.answer, question)
                    turns = turns + [{"role": "user", "content": question}, {"role": "assistant", "content": event.answer.answer}]
        except Exception:  # the UI shows a message, never a traceback; the log keeps the detail
            logging.getLogger("guanwen").exception("answering failed")
            messages[-1]["content"] = "抱歉，回答时出现错误，请稍后再试。"
        yield messages, "", turns

    with gr.Blocks(title="莞问 · 东莞未来产业问答") as demo:
        gr.Markdown("## 莞问 · 东莞未来产业问答\n根据资料库中的新闻和政策文章回答，每个答案都注明出处。")
        turns = gr.State([])  # the plain conversation (questions and answer texts) for follow-ups
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
        question.submit(respond, [question, chatbot, turns], [chatbot, question, turns])
        send.click(respond, [question, chatbot, turns], [chatbot, question, turns])
        clear.click(lambda: ([], "", []), None, [chatbot, question, turns])
    return demo
