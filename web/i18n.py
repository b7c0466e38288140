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
    # Page, header and tabs (web/templates/ui_header.html, the API reference's bar)
    "page_title": {"zh": "莞问 · 东莞未来产业问答", "en": "Guanwen 莞问 · Dongguan future industries Q&A"},
    "app_title": {"zh": "莞问 · 东莞未来产业问答", "en": "Guanwen 莞问 · Dongguan future industries"},
    "app_subtitle": {
        "zh": "根据资料库中的新闻和政策文章回答，每个答案都注明出处。",
        "en": "Answers from the news and policy articles in the library, each one citing its source.",
    },
    "language": {"zh": "语言 Language", "en": "Language 语言"},
    "api_docs_link": {"zh": "API 文档", "en": "API reference"},
    "api_docs_title": {"zh": "莞问 API 文档", "en": "Guanwen API reference"},
    "back_to_chat": {"zh": "返回问答", "en": "Back to the chat"},
    "signed_in_as": {"zh": "已登录：{name}（{role}）", "en": "Signed in as {name} ({role})"},
    "role_admin": {"zh": "管理员", "en": "administrator"},
    "role_user": {"zh": "用户", "en": "user"},
    "role_widget": {"zh": "嵌入组件", "en": "widget"},
    "logout": {"zh": "退出登录", "en": "Sign out"},
    "tab_chat": {"zh": "问答", "en": "Chat"},
    "tab_lab": {"zh": "检索实验室", "en": "Retrieval lab"},
    "tab_documents": {"zh": "文档", "en": "Documents"},
    # Chat
    "chat_label": {"zh": "对话", "en": "Conversation"},
    "chat_empty": {
        "zh": "在下方输入问题，或点一个示例问题。每个回答都附有它引用的原文段落。",
        "en": "Type a question below, or pick an example. Every answer comes with the passages it quotes.",
    },
    "placeholder": {"zh": "请输入问题（示例问题见下方）", "en": "Ask a question (examples below)"},
    "send": {"zh": "提问", "en": "Ask"},
    "new_conversation": {"zh": "新对话", "en": "New conversation"},
    "examples_label": {"zh": "示例问题", "en": "Example questions"},
    # Offline, English questions are answered too: searched through CC-CEDICT and quoted in Chinese
    # (tests/test_ui_language.py asks each English one and checks that it is answered).
    "examples": {
        "zh": [
            "东莞计划培育几个规模超百亿元的未来产业集群？",
            "2022年东莞R&D研发投入占GDP比重是多少？",
            "中国散裂中子源打靶束流功率达到多少？",
            "东莞政府“一号文”优先支持哪些前沿产业？",
        ],
        "en": [
            "How many future industry clusters worth over 10 billion yuan will Dongguan cultivate?",
            "What share of GDP did Dongguan spend on R&D in 2022?",
            "What target beam power did the China Spallation Neutron Source reach?",
            "What was the revenue of Dongguan's artificial intelligence industry in 2022?",
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
    # Feedback: saved at the click on the thumb; a comment may follow
    "wrong_source": {"zh": "来源有误（引用的段落不支持这个回答）", "en": "Wrong source (the cited passage does not support this answer)"},
    "comment": {"zh": "补充说明（可选）", "en": "Comment (optional)"},
    "feedback_send": {"zh": "保存补充说明", "en": "Save the comment"},
    "helpful": {"zh": "有帮助", "en": "helpful"},
    "not_helpful": {"zh": "没有帮助", "en": "not helpful"},
    "feedback_saved_rating": {
        "zh": "**评价已保存**：第 {number} 条回答（问题「{question}」）{label}。如有需要，可在下面补充说明。",
        "en": "**Rating saved**: answer {number} (to “{question}”) was {label}. Add a comment below if you like.",
    },
    "feedback_withdrawn": {"zh": "已撤回对第 {number} 条回答的评价。", "en": "Your rating of answer {number} was withdrawn."},
    "feedback_first": {"zh": "请先点击回答下方的“赞”或“踩”。", "en": "First rate an answer with the thumbs under it."},
    "feedback_failed": {"zh": "抱歉，反馈保存失败，请稍后再试。", "en": "Sorry, the feedback could not be saved. Please try again later."},
    "feedback_comment_saved": {
        "zh": "补充说明已保存（第 {number} 条回答）。谢谢！",
        "en": "Comment saved (answer {number}). Thank you!",
    },
    # Retrieval lab
    "lab_intro": {
        "zh": "问题的检索结果：每个段落的 BM25、向量和融合分数与排名。",
        "en": "What a question retrieves: each passage's BM25, dense (vector) and fused scores and ranks.",
    },
    "lab_question": {"zh": "问题", "en": "Question"},
    "lab_mode": {"zh": "模式", "en": "Mode"},
    "lab_modes": {
        "zh": [["混合（hybrid）", "hybrid"], ["关键词（BM25）", "bm25"], ["向量（dense）", "dense"]],
        "en": [["hybrid", "hybrid"], ["BM25", "bm25"], ["dense (vectors)", "dense"]],
    },
    "lab_search": {"zh": "检索", "en": "Search"},
    "lab_golden": {
        "zh": "运行黄金问题集（evaluation/golden.jsonl，{count} 个问题）",
        "en": "Run the golden question set (evaluation/golden.jsonl, {count} questions)",
    },
    "lab_vectors_down": {
        "zh": "向量数据库暂时无法连接，请稍后再试（{error}）",
        "en": "The vector database cannot be reached; please try again later ({error})",
    },
    # The passage comes second: on a phone the table scrolls sideways and the passage stays in view.
    "search_columns": {
        "zh": ["排名", "段落", "文章", "融合分数", "BM25 分数", "BM25 排名", "向量分数", "向量排名", "最佳句分数", "最佳句排名", "融合排名"],
        "en": ["Rank", "Passage", "Article", "Fused score", "BM25 score", "BM25 rank", "Dense score", "Dense rank", "Best-sentence score", "Best-sentence rank", "Fused rank"],
    },
    "metric_columns": {
        "zh": ["模式", "问题数", "hit@1", "hit@3", "hit@5", "MRR", "nDCG@5", "答案命中", "误拒", "未通过核实", "无答案拒答率", "p50 ms", "p95 ms"],
        "en": ["Mode", "Questions", "hit@1", "hit@3", "hit@5", "MRR", "nDCG@5", "Answer hit", "Wrongly refused", "Unverified", "Refusal accuracy", "p50 ms", "p95 ms"],
    },
    # Documents
    "documents_intro": {"zh": "资料库中已索引的文章。", "en": "The articles in the index."},
    "document_columns": {
        "zh": ["标题", "日期", "来源", "作者", "段落数", "提示", "文件"],
        "en": ["Title", "Date", "Source", "Author", "Passages", "Notes", "File"],
    },
    "flag_instructions": {
        "zh": "含疑似对模型下达的指令（不作为证据引用，也不作为指令发给模型）：{flags}",
        "en": "holds text that gives the model orders (never quoted as evidence or sent as an instruction): {flags}",
    },
    "flag_guessed_title": {"zh": "标题取自正文开头", "en": "title taken from the opening sentence"},
    "flag_file_name_title": {"zh": "标题取自文件名", "en": "title taken from the file name"},
    "flag_no_date": {"zh": "无日期", "en": "no date"},
    "flag_no_source": {"zh": "无来源", "en": "no source"},
    "admin_heading": {"zh": "### 文档管理（仅限管理员）", "en": "### Manage documents (administrators only)"},
    "admin_intro": {
        "zh": "上传 .txt、.md、.html、.pdf 或 .docx 文件（每个不超过 {limit} MB）：文件保存到资料库文件夹并立即索引；"
        "同名文件会被新版本替换。填写的标题、日期和来源保存在文章旁的元数据文件（.meta.json）中，优先于文章自带的信息。",
        "en": "Upload .txt, .md, .html, .pdf or .docx files (at most {limit} MB each): they are saved in the corpus "
        "folder and indexed at once; a file of the same name is replaced. A title, date and source given here are "
        "saved beside the article (a .meta.json file) and win over what the article says.",
    },
    "admin_only": {
        "zh": "上传、重新索引和删除文章仅限管理员。",
        "en": "Uploading, re-indexing and deleting articles is for administrators only.",
    },
    "upload_label": {"zh": "要上传的文章", "en": "Articles to upload"},
    "upload_title": {"zh": "标题（可选，只上传一篇时）", "en": "Title (optional; one article at a time)"},
    "upload_published": {"zh": "发布日期（可选，如 2024-03-12 或 2024-03）", "en": "Date published (optional, e.g. 2024-03-12 or 2024-03)"},
    "upload_source": {"zh": "来源（可选，如 东莞日报）", "en": "Source (optional, e.g. 东莞日报 Dongguan Daily)"},
    "upload_button": {"zh": "上传并索引", "en": "Upload and index"},
    "reindex_button": {"zh": "重新索引全部", "en": "Re-index everything"},
    "delete_label": {"zh": "要删除的文章", "en": "Article to delete"},
    "delete_button": {"zh": "删除文章…", "en": "Delete the article…"},
    "delete_confirm_text": {
        "zh": "**确认删除《{title}》？** 将从资料库文件夹删除文件 {files}，并从索引中移除它的 {chunks} 个段落；"
        "问答将不再引用这篇文章。此操作无法撤销。",
        "en": "**Delete “{title}”?** The file {files} is deleted from the corpus folder and its {chunks} passage(s) "
        "leave the index; answers will no longer cite it. This cannot be undone.",
    },
    "delete_confirm_button": {"zh": "确认删除", "en": "Yes, delete it"},
    "delete_cancel": {"zh": "取消", "en": "Cancel"},
    "delete_cancelled": {"zh": "已取消，没有删除任何文件。", "en": "Cancelled: nothing was deleted."},
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
    "meta_title_many": {
        "zh": "一次上传多篇文章时不能填写标题（每篇的标题不同）；请逐篇上传，或不填标题。没有保存任何文件。",
        "en": "A title cannot be given for several articles at once; upload them one by one, or leave the title empty. "
        "No file was saved.",
    },
    "meta_bad_date": {
        "zh": "日期「{value}」无法识别，请写成 2024-03-12、2024-03 或 2024。没有保存任何文件。",
        "en": "The date “{value}” is not one of 2024-03-12, 2024-03 or 2024. No file was saved.",
    },
    "meta_bad_value": {
        "zh": "标题或来源太长，或含有换行、控制字符（最多 300 字）。没有保存任何文件。",
        "en": "The title or source is too long, or holds line breaks or control characters (at most 300). No file was saved.",
    },
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
