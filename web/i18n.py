"""Every fixed string of the chat UI in Chinese (the default) and English, in one table.

``t(key, lang, **params)`` looks a string up and fills in its ``{params}``; ``lang`` is "zh" or
"en" (anything else means Chinese). Article text, answers and the ingest's own skip reasons are
not translated: they are content, not interface.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
# The switch shows each language in its own words, so either reader can find theirs.
LANGUAGE_CHOICES = [("中文", "zh"), ("English", "en")]

STRINGS: dict[str, dict[str, Any]] = {
    # Page and tabs
    "page_title": {"zh": "莞问 · 东莞未来产业问答", "en": "Guanwen 莞问 · Dongguan future industries Q&A"},
    "intro": {
        "zh": "## 莞问 · 东莞未来产业问答\n根据资料库中的新闻和政策文章回答，每个答案都注明出处。",
        "en": "## Guanwen 莞问 · Dongguan future industries Q&A\n"
        "Answers from the news and policy articles in the library, each one citing its source.",
    },
    "language": {"zh": "语言 Language", "en": "Language 语言"},
    "tab_chat": {"zh": "问答", "en": "Chat"},
    "tab_lab": {"zh": "检索实验室", "en": "Retrieval lab"},
    "tab_documents": {"zh": "文档", "en": "Documents"},
    # Chat
    "chat_label": {"zh": "对话", "en": "Conversation"},
    "placeholder": {
        "zh": "请输入问题，例如：东莞计划培育几个规模超百亿元的未来产业集群？",
        "en": "Ask a question, e.g. 东莞计划培育几个规模超百亿元的未来产业集群？ (the articles are in Chinese)",
    },
    "send": {"zh": "提问", "en": "Ask"},
    "new_conversation": {"zh": "新对话", "en": "New conversation"},
    "examples_label": {"zh": "示例问题", "en": "Example questions"},
    "examples_label_offline": {
        "zh": "示例问题",
        "en": "Example questions, in Chinese: without an LLM, English questions find the Chinese articles only by figures and Latin terms",
    },
    # The English ones are shown only with an LLM configured (web/ui/rendering.py: example_update).
    "examples": {
        "zh": [
            "东莞计划培育几个规模超百亿元的未来产业集群？",
            "2022年东莞R&D研发投入占GDP比重是多少？",
            "中国散裂中子源打靶束流功率达到多少？",
            "东莞政府“一号文”优先支持哪些前沿产业？",
        ],
        "en": [
            "How many future-industry clusters of over 10 billion yuan does Dongguan plan to build?",
            "What share of GDP was Dongguan's R&D spending in 2022?",
            "What beam power has the China Spallation Neutron Source reached?",
            "Which frontier industries does Dongguan's 'No. 1 document' support first?",
        ],
    },
    "pending": {"zh": "生成中，核实后显示来源…", "en": "Writing the answer; its sources appear once it is verified…"},
    "answer_failed": {"zh": "抱歉，回答时出现错误，请稍后再试。", "en": "Sorry, something went wrong while answering. Please try again later."},
    "vectors_down": {
        "zh": "抱歉，检索服务（向量数据库）暂时无法连接，暂时无法回答。请稍后再试；若持续出现，请联系管理员。",
        "en": "Sorry, the search service (vector database) cannot be reached, so no answer can be given now. "
        "Please try again later; if this persists, contact the administrator.",
    },
    "question_bad_chars": {
        "zh": "问题中含有无法识别的字符，请删除后重新输入。",
        "en": "The question contains characters that cannot be read; remove them and try again.",
    },
    "question_empty": {"zh": "请先输入问题。", "en": "Please type a question first."},
    "question_too_long": {
        "zh": "问题太长（{length} 字），请精简到 {limit} 字以内再提问。",
        "en": "The question is too long ({length} characters); shorten it to at most {limit} and ask again.",
    },
    # The answer as rendered in the chat
    "searched": {"zh": "检索：{query}", "en": "Searched: {query}"},
    "removed_unverified": {
        "zh": "已删去 {count} 处无法在资料中核实的内容。",
        "en": "Removed {count} statement(s) that could not be verified in the articles.",
    },
    "sources": {"zh": "来源", "en": "Sources"},
    "related": {"zh": "相关段落（不足以回答问题）", "en": "Related passages (not enough to answer the question)"},
    "author": {"zh": "作者 {name}", "en": "by {name}"},
    # Feedback
    "wrong_source": {"zh": "来源有误（引用的段落不支持这个回答）", "en": "Wrong source (the cited passage does not support this answer)"},
    "comment": {"zh": "补充说明（可选）", "en": "Comment (optional)"},
    "feedback_send": {"zh": "提交反馈", "en": "Send feedback"},
    "helpful": {"zh": "👍 有帮助", "en": "👍 helpful"},
    "not_helpful": {"zh": "👎 没有帮助", "en": "👎 not helpful"},
    "feedback_heading": {
        "zh": "**对这条回答的反馈：{label}**　可补充说明，然后提交。",
        "en": "**Feedback on this answer: {label}**  Add a comment if you like, then send it.",
    },
    "feedback_first": {"zh": "请先点击回答下方的 👍 或 👎。", "en": "First click 👍 or 👎 under an answer."},
    "feedback_failed": {"zh": "抱歉，反馈保存失败，请稍后再试。", "en": "Sorry, the feedback could not be saved. Please try again later."},
    "feedback_saved": {"zh": "谢谢，反馈已保存。", "en": "Thank you, your feedback has been saved."},
    # Retrieval lab
    "lab_intro": {
        "zh": "问题的检索结果：每个段落的 BM25、向量和融合分数与排名。",
        "en": "What a question retrieves: each passage's BM25, dense (vector) and fused scores and ranks.",
    },
    "lab_question": {"zh": "问题", "en": "Question"},
    "lab_mode": {"zh": "模式", "en": "Mode"},
    "lab_search": {"zh": "检索", "en": "Search"},
    "lab_golden": {
        "zh": "运行黄金问题集（evaluation/golden.jsonl，需要一两分钟）",
        "en": "Run the golden question set (evaluation/golden.jsonl; takes a minute or two)",
    },
    "lab_vectors_down": {
        "zh": "向量数据库暂时无法连接，请稍后再试（{error}）",
        "en": "The vector database cannot be reached; please try again later ({error})",
    },
    "search_columns": {
        "zh": ["排名", "文章", "BM25 分数", "BM25 排名", "向量分数", "向量排名", "最佳句分数", "最佳句排名", "融合分数", "融合排名", "段落"],
        "en": ["Rank", "Article", "BM25 score", "BM25 rank", "Dense score", "Dense rank", "Best-sentence score", "Best-sentence rank", "Fused score", "Fused rank", "Passage"],
    },
    "metric_columns": {
        "zh": ["模式", "问题数", "hit@1", "hit@3", "hit@5", "MRR", "nDCG@5", "答案命中", "误拒", "未通过核实", "无答案拒答率", "p50 ms", "p95 ms"],
        "en": ["Mode", "Questions", "hit@1", "hit@3", "hit@5", "MRR", "nDCG@5", "Answer hit", "Wrongly refused", "Unverified", "Refusal accuracy", "p50 ms", "p95 ms"],
    },
    # Documents
    "documents_intro": {"zh": "资料库中已索引的文章。", "en": "The articles in the index."},
    "document_columns": {
        "zh": ["标题", "日期", "来源", "作者", "段落数", "文件"],
        "en": ["Title", "Date", "Source", "Author", "Passages", "File"],
    },
    "admin_heading": {"zh": "### 文档管理（仅限管理员）", "en": "### Manage documents (administrators only)"},
    "admin_intro": {
        "zh": "上传 .txt、.md、.html、.pdf 或 .docx 文件（每个不超过 {limit} MB）：文件保存到资料库文件夹并立即索引；"
        "同名文件会被新版本替换。删除文章会删除它的文件并更新索引。",
        "en": "Upload .txt, .md, .html, .pdf or .docx files (at most {limit} MB each): they are saved in the corpus "
        "folder and indexed at once; a file of the same name is replaced. Deleting an article deletes its file "
        "and updates the index.",
    },
    "admin_only": {
        "zh": "上传、重新索引和删除文章仅限管理员。",
        "en": "Uploading, re-indexing and deleting articles is for administrators only.",
    },
    "upload_label": {"zh": "要上传的文章", "en": "Articles to upload"},
    "upload_button": {"zh": "上传并索引", "en": "Upload and index"},
    "reindex_button": {"zh": "重新索引全部", "en": "Re-index everything"},
    "delete_label": {"zh": "要删除的文章", "en": "Article to delete"},
    "delete_button": {"zh": "删除文章", "en": "Delete the article"},
    # What a document-management action did (web/corpus_admin.py)
    "forbidden": {"zh": "只有管理员可以管理文档。", "en": "Only administrators can manage documents."},
    "busy": {
        "zh": "另一个索引任务正在运行，请稍后再试。没有保存或更改任何文件。",
        "en": "Another ingest is running; try again in a moment. No file was saved or changed.",
    },
    "failed": {
        "zh": "索引失败：{error}。已保存的文件会在下次「重新索引全部」时索引。",
        "en": "Indexing failed: {error}. Files already saved are indexed by the next 're-index everything'.",
    },
    "no_files": {"zh": "请先选择要上传的文件。", "en": "Choose the files to upload first."},
    "no_document": {"zh": "请先选择要删除的文章。", "en": "Choose the article to delete first."},
    "not_found": {"zh": "没有这篇文章：{doc_id}", "en": "No such article: {doc_id}"},
    "bad_doc_id": {"zh": "文章编号无效：{doc_id}", "en": "Not a valid article id: {doc_id}"},
    "report_added": {"zh": "已添加：{names}", "en": "Added: {names}"},
    "report_updated": {"zh": "已更新：{names}", "en": "Updated: {names}"},
    "report_unchanged": {"zh": "内容未变，无需重新索引：{names}", "en": "Unchanged, already indexed: {names}"},
    "report_removed": {"zh": "已从索引中删除：{names}", "en": "Removed from the index: {names}"},
    "report_rejected": {"zh": "未保存：", "en": "Not saved:"},
    "report_skipped": {
        "zh": "资料库文件夹中无法索引的其他文件：",
        "en": "Other files in the corpus folder that could not be indexed:",
    },
    "report_nothing": {"zh": "索引没有变化。", "en": "The index did not change."},
    "report_totals": {
        "zh": "索引中现有 {documents} 篇文章、{chunks} 个段落。",
        "en": "The index now holds {documents} article(s), {chunks} passage(s).",
    },
    "reason_name_empty": {"zh": "文件名为空", "en": "the file name is empty"},
    "reason_name_path": {
        "zh": "文件名不能包含路径（/、\\ 或 ..）",
        "en": "the file name must not contain a path (/, \\ or ..)",
    },
    "reason_name_hidden": {"zh": "不接受以“.”开头的隐藏文件", "en": "hidden files (names starting with '.') are not accepted"},
    "reason_name_chars": {
        "zh": "文件名含有控制字符或首尾空白",
        "en": "the file name contains control characters or leading/trailing white space",
    },
    "reason_name_long": {"zh": "文件名太长（最多 200 字节）", "en": "the file name is too long (at most 200 bytes)"},
    "reason_name_mixed": {
        "zh": "文件名混用了拉丁字母和形近的西里尔或希腊字母，请改名",
        "en": "the name mixes Latin letters with look-alike Cyrillic or Greek ones; rename it",
    },
    "reason_name_lookalike": {
        "zh": "文件名与“{existing}”看起来相同，但字符不同，请改名",
        "en": "the name looks the same as “{existing}” but is written with other characters; rename it",
    },
    "reason_unsupported": {
        "zh": "不支持的格式 {suffix}（支持 .txt、.md、.html、.htm、.pdf、.docx）",
        "en": "unsupported format {suffix} (supported: .txt, .md, .html, .htm, .pdf, .docx)",
    },
    "reason_too_big": {"zh": "文件太大（{size} MB，上限 {limit} MB）", "en": "the file is too big ({size} MB; the limit is {limit} MB)"},
    "reason_twice": {"zh": "这次上传中已有同名文件", "en": "a file of the same name is already in this upload"},
    "reason_duplicate": {
        "zh": "与已索引的 {original} 内容几乎相同，不重复索引",
        "en": "nearly the same as {original}, which is already indexed",
    },
    "reason_unreadable": {"zh": "无法索引（{reason}）", "en": "cannot be indexed ({reason})"},
    "reason_kept_previous": {"zh": "，原来的版本保持不变", "en": "; the previous version is kept"},
}


def language(value: object) -> str:
    """'en' for English (a code, or a query parameter such as ?lang=en / en-US), else 'zh'."""
    if isinstance(value, str) and value.strip().lower().replace("_", "-").split("-")[0] == "en":
        return "en"
    return DEFAULT_LANGUAGE


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params: Any) -> Any:
    """The string (or list) for ``key`` in ``lang``, with ``params`` filled in."""
    entry = STRINGS[key]
    value = entry.get(lang, entry[DEFAULT_LANGUAGE])
    return value.format(**params) if params and isinstance(value, str) else value
