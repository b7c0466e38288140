"""The Gradio UI: the chat for officials (each answer followed by its sources, clickable [n]
markers, feedback), the retrieval lab for developers, and the list of indexed documents."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import gradio as gr

from answer.models import Answer, Citation
from answer.pipeline import Answerer, Turn
from web.documents import document_details, list_documents
from web.feedback import FeedbackRequest, FeedbackStore
from web.inputs import InputTextError, clean_text

GOLDEN_PATH = Path(__file__).resolve().parent.parent / "evaluation" / "golden.jsonl"

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
.gw-meta { color: #666; font-weight: normal; font-size: .9em; }
a.gw-cite { color: #c0392b; font-weight: 600; text-decoration: none; cursor: pointer; }
a.gw-cite:hover { text-decoration: underline; }
.gw-source.gw-focus { background: #fff6d6; outline: 2px solid #c0392b; }
@media (max-width: 480px) {
  .gradio-container { padding-left: 4px !important; padding-right: 4px !important; }
  .gw-sources { font-size: .85em; }
  .gw-source { padding: .15em .4em; }
  #gw-send { min-width: 0 !important; }
}
"""

# A delegated click handler: a citation marker [n] (href="#gw-s-<message>-<n>") scrolls to its
# source in the same answer and marks it. Gradio's sanitizer keeps class, id and href (not data-).
HEAD = """<script>
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a.gw-cite");
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  var id = (link.getAttribute("href") || "").slice(1);
  var source = id && document.getElementById(id);
  if (!source) return;
  document.querySelectorAll(".gw-source.gw-focus").forEach(function (s) { s.classList.remove("gw-focus"); });
  source.classList.add("gw-focus");
  source.scrollIntoView({ block: "nearest" });
}, true);
</script>"""


# Gradio's Chatbot runs every message through a markdown renderer before sanitizing it, so
# escaping tags is not enough: ![x](http://elsewhere/pixel.png) from an article or a model would
# become an <img> that loads, and [x](javascript:…) a link. Markdown's punctuation goes out as
# character references, which markdown never reads as syntax (docs/security.md, hostile articles).
_INERT = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
    | {c: f"&#{ord(c)};" for c in "[]()!*_`~$\\#|"}
)


def inert(text: str) -> str:
    """Text from an article, a model or a reader as inert HTML: shown as typed, never interpreted."""
    return text.translate(_INERT)


def render_answer(answer: Answer, asked: str, details: dict[str, dict[str, str]] | None = None, turn: int = 0) -> str:
    """The chat message: what was searched (if rewritten), the answer with clickable [n] markers,
    what verification removed, then its sources (or the related passages of a refusal) with the
    article's date and source where known, all HTML-escaped."""
    details = details or {}
    parts = []
    if answer.query and answer.query != asked:
        parts.append(f'<div class="gw-query">检索：{inert(answer.query)}</div>')
    if answer.notice:
        parts.append(f'<div class="gw-notice">{inert(answer.notice)}</div>')
    parts.append(_with_markers(answer.answer, {c.id for c in answer.citations}, turn))
    removed = answer.verification and (answer.verification.citations_removed + answer.verification.sentences_dropped)
    if removed:
        parts.append(f'<div class="gw-verification">已删去 {removed} 处无法在资料中核实的内容。</div>')
    if answer.citations:
        parts.append(_sources("来源", answer.citations, "gw-sources", details, turn))
    elif answer.related:
        parts.append(_sources("相关段落（不足以回答问题）", answer.related, "gw-sources gw-related", details, turn, "r"))
    return f'<div class="gw-answer-block">{"".join(parts)}</div>'


def _with_markers(text: str, ids: set[int], turn: int) -> str:
    parts, last = [], 0
    for match in re.finditer(r"\[(\d+)\]", text):
        number = int(match.group(1))
        parts.append(inert(text[last : match.start()]))
        if number in ids:
            parts.append(f'<a class="gw-cite" href="#gw-s-{turn}-{number}">[{number}]</a>')
        else:
            parts.append(match.group(0))  # digits in brackets: nothing a renderer can act on
        last = match.end()
    parts.append(inert(text[last:]))
    return "".join(parts)


def _sources(
    heading: str, citations: list[Citation], css: str, details: dict[str, dict[str, str]], turn: int, prefix: str = ""
) -> str:
    items = []
    for c in citations:
        meta = details.get(c.doc_id, {})
        author = f"作者 {meta['author']}" if meta.get("author") else ""
        about = " · ".join(v for v in (meta.get("published"), meta.get("source"), author) if v)
        items.append(
            f'<div class="gw-source" id="gw-s-{turn}-{prefix}{c.id}">'
            f"<strong>[{c.id}] {inert(c.title)}</strong>"
            + (f" · {inert(c.section)}" if c.section else "")
            + (f' <span class="gw-meta">{inert(about)}</span>' if about else "")
            + f"<br>{_highlight(c)}</div>"
        )
    return f'<div class="{css}"><strong>{heading}</strong>{"".join(items)}</div>'


def _highlight(citation: Citation) -> str:
    text, quote = citation.text, citation.quote
    start = citation.quote_start if citation.quote_start >= 0 else (text.find(quote) if quote else -1)
    if not quote or start < 0:
        return inert(text)
    end = start + len(quote)
    return inert(text[:start]) + "<mark>" + inert(text[start:end]) + "</mark>" + inert(text[end:])


SEARCH_COLUMNS = ["排名", "文章", "BM25 分数", "BM25 排名", "向量分数", "向量排名", "融合分数", "融合排名", "段落"]


def question_problem(question: str, max_chars: int) -> str | None:
    """What the chat says instead of answering an unusable question (the same rules as the API)."""
    try:
        cleaned = clean_text(question).strip()
    except InputTextError:
        return "问题中含有无法识别的字符，请删除后重新输入。"
    if not cleaned:
        return "请先输入问题。"
    if len(cleaned) > max_chars:
        return f"问题太长（{len(cleaned)} 字），请精简到 {max_chars} 字以内再提问。"
    return None


def search_rows(answerer: Answerer, question: str, mode: str, k: int) -> list[list[Any]]:
    """The retrieval lab's table: ranked passages with every retriever's score and rank."""
    question = question if isinstance(question, str) else ""
    if question.strip() and (problem := question_problem(question, answerer.settings.max_question_chars)):
        raise gr.Error(problem)  # a message, not a traceback
    question = clean_text(question).strip()
    if not question or mode not in ("hybrid", "bm25", "dense"):
        return []
    k = min(max(int(k), 1), 50)  # the slider's range can be bypassed through Gradio's API
    rows = []
    for hit in answerer.searcher.search(question, mode, int(k)):
        fused = mode == "hybrid"
        rows.append(
            [
                hit.rank,
                hit.passage.title,
                _score(hit.bm25_score),
                hit.bm25_rank,
                _score(hit.dense_score),
                hit.dense_rank,
                _score(hit.score) if fused else None,
                hit.rank if fused else None,
                hit.passage.text,
            ]
        )
    return rows


def _score(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


METRIC_COLUMNS = ["模式", "问题数", "hit@1", "hit@3", "hit@5", "MRR", "nDCG@5", "答案命中", "误拒", "未通过核实", "无答案拒答率", "p50 ms", "p95 ms"]


def golden_rows(answerer: Answerer, path: Path, mode: str, k: int) -> list[list[Any]]:
    """The golden set run through the pipeline: one row for all questions, one per language."""
    from evaluation.run import evaluate, load_questions

    report = evaluate(answerer, load_questions(path), mode, int(k))
    rows = []
    for name, m in [("all", report)] + list(report["by_language"].items()):
        rows.append(
            [
                f"{mode} ({name})",
                m["n"],
                m["hit@1"],
                m["hit@3"],
                m["hit@5"],
                m["mrr"],
                m["ndcg@5"],
                m["answer_hit"],
                m["wrongly_refused"],
                m["unverified"],
                report["refusal_accuracy"],
                report["latency_ms_p50"],
                report["latency_ms_p95"],
            ]
        )
    return rows


DOCUMENT_COLUMNS = ["标题", "日期", "来源", "作者", "段落数", "文件"]


def document_rows(answerer: Answerer) -> list[list[Any]]:
    return [
        [d.title, d.published, d.source, d.author, d.chunks, d.doc_id]
        for d in list_documents(answerer.searcher.store.manifest)
    ]


def build_ui(answerer: Answerer, feedback: FeedbackStore | None = None) -> gr.Blocks:
    manifest = answerer.searcher.store.manifest
    log = logging.getLogger("guanwen")

    def respond(question: str, messages: list[dict[str, Any]], turns: list[dict[str, str]], records: dict):
        typed = question if isinstance(question, str) else ""
        if problem := question_problem(typed, answerer.settings.max_question_chars):
            # Said in the chat, not as an error toast; the question stays in the box to be fixed.
            preview = typed.strip()[:80] + ("…" if len(typed.strip()) > 80 else "")
            shown = [{"role": "user", "content": inert(preview)}] if preview else []
            yield messages + shown + [{"role": "assistant", "content": problem}], typed, turns, records
            return
        question = clean_text(typed).strip()
        history = [Turn(role=t["role"], content=t["content"]) for t in turns]
        messages = messages + [{"role": "user", "content": inert(question)}, {"role": "assistant", "content": ""}]
        index = len(messages) - 1
        provisional = ""
        try:
            for event in answerer.ask_stream(question, history):
                if event.kind == "token":
                    provisional += event.text
                    messages[-1]["content"] = (  # one HTML block, its text inert, like the final answer
                        f'<div class="gw-answer-block">{inert(provisional)}<div class="gw-pending">生成中，核实后显示来源…</div></div>'
                    )
                    yield messages, "", turns, records
                elif event.kind == "answer" and event.answer is not None:
                    answer = event.answer
                    details = document_details(manifest, [c.doc_id for c in answer.citations + answer.related])
                    messages[-1]["content"] = render_answer(answer, question, details, index)
                    turns = turns + [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]
                    records = {
                        **records,
                        index: {
                            "question": question,
                            "answer": answer.answer,
                            "citations": [c.__dict__ for c in answer.citations],
                            "query": answer.query,
                            "refused": answer.refused,
                        },
                    }
        except Exception:  # the UI shows a message, never a traceback; the log keeps the detail
            log.exception("answering failed")
            messages[-1]["content"] = "抱歉，回答时出现错误，请稍后再试。"
        yield messages, "", turns, records

    def liked(records: dict, data: gr.LikeData):
        index = data.index if isinstance(data.index, int) else data.index[0]
        if index not in records or data.liked not in (True, False):  # not an answer, or the rating undone
            return gr.update(visible=False), None, "", False, ""
        rating = "up" if data.liked is True else "down"
        label = "👍 有帮助" if rating == "up" else "👎 没有帮助"
        heading = f"**对这条回答的反馈：{label}**　可补充说明，然后提交。"
        return gr.update(visible=True), {"index": index, "rating": rating}, heading, False, ""

    def submit_feedback(pending: dict | None, records: dict, comment: str, wrong_source: bool):
        if feedback is None or not pending or pending.get("index") not in records:
            return "请先点击回答下方的 👍 或 👎。", pending
        record = records[pending["index"]]
        try:
            feedback.add(
                FeedbackRequest(
                    question=record["question"],
                    answer=record["answer"],
                    rating=pending["rating"],
                    comment=(comment or "").strip()[:4000],
                    wrong_source=bool(wrong_source),
                    citations=record["citations"],
                    query=record["query"],
                    refused=record["refused"],
                    channel="ui",
                )
            )
        except Exception:
            log.exception("storing feedback failed")
            return "抱歉，反馈保存失败，请稍后再试。", pending
        return "谢谢，反馈已保存。", None

    with gr.Blocks(title="莞问 · 东莞未来产业问答") as demo:
        gr.Markdown("## 莞问 · 东莞未来产业问答\n根据资料库中的新闻和政策文章回答，每个答案都注明出处。")
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                turns = gr.State([])  # the plain conversation (questions and answer texts) for follow-ups
                records = gr.State({})  # chat message index → what was asked and answered, for feedback
                pending = gr.State(None)  # the answer being rated
                chatbot = gr.Chatbot(
                    label="对话", height=520, elem_id="gw-chat", sanitize_html=True, buttons=["copy"],
                    feedback_options=("Like", "Dislike"),
                )
                with gr.Group(visible=False, elem_id="gw-feedback") as feedback_panel:
                    feedback_heading = gr.Markdown()
                    wrong_source = gr.Checkbox(label="来源有误（引用的段落不支持这个回答）", elem_id="gw-wrong-source")
                    comment = gr.Textbox(label="补充说明（可选）", lines=2, max_length=4000, elem_id="gw-comment")
                    feedback_send = gr.Button("提交反馈", elem_id="gw-feedback-send")
                    feedback_status = gr.Markdown(elem_id="gw-feedback-status")
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        placeholder="请输入问题，例如：东莞计划培育几个规模超百亿元的未来产业集群？",
                        show_label=False,
                        scale=8,
                        min_width=160,
                        elem_id="gw-question",
                    )
                    send = gr.Button("提问", variant="primary", scale=1, min_width=60, elem_id="gw-send")
                clear = gr.Button("新对话", elem_id="gw-new")
                gr.Examples(EXAMPLES, inputs=question, label="示例问题")
                chat_io = [question, chatbot, turns, records]
                question.submit(respond, chat_io, [chatbot, question, turns, records])
                send.click(respond, chat_io, [chatbot, question, turns, records])
                clear.click(
                    lambda: ([], "", [], {}, None, gr.update(visible=False)),
                    None,
                    [chatbot, question, turns, records, pending, feedback_panel],
                )
                chatbot.like(liked, [records], [feedback_panel, pending, feedback_heading, wrong_source, comment])
                feedback_send.click(submit_feedback, [pending, records, comment, wrong_source], [feedback_status, pending])

            with gr.Tab("检索实验室", id="lab"):
                gr.Markdown("问题的检索结果：每个段落的 BM25、向量和融合分数与排名。")
                with gr.Row():
                    lab_question = gr.Textbox(label="问题", scale=4, min_width=160, elem_id="gw-lab-question")
                    lab_mode = gr.Radio(["hybrid", "bm25", "dense"], value=answerer.settings.retrieval_mode, label="模式", elem_id="gw-lab-mode")
                    lab_k = gr.Slider(1, 20, value=5, step=1, label="k", elem_id="gw-lab-k")
                lab_search = gr.Button("检索", variant="primary", elem_id="gw-lab-search")
                lab_table = gr.Dataframe(headers=SEARCH_COLUMNS, interactive=False, wrap=True, elem_id="gw-lab-results")
                lab_golden = gr.Button("运行黄金问题集（evaluation/golden.jsonl，需要一两分钟）", elem_id="gw-lab-golden")
                lab_metrics = gr.Dataframe(headers=METRIC_COLUMNS, interactive=False, elem_id="gw-lab-metrics")
                lab_search.click(lambda q, m, k: search_rows(answerer, q, m, k), [lab_question, lab_mode, lab_k], lab_table)
                lab_question.submit(lambda q, m, k: search_rows(answerer, q, m, k), [lab_question, lab_mode, lab_k], lab_table)
                lab_golden.click(lambda m, k: golden_rows(answerer, GOLDEN_PATH, m, k), [lab_mode, lab_k], lab_metrics)

            with gr.Tab("文档", id="documents") as documents_tab:
                gr.Markdown("资料库中已索引的文章。")
                documents = gr.Dataframe(headers=DOCUMENT_COLUMNS, interactive=False, wrap=True, elem_id="gw-documents")
                documents_tab.select(lambda: document_rows(answerer), None, documents)
        demo.load(lambda: document_rows(answerer), None, documents)
    return demo
