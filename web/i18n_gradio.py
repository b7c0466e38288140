"""Gradio's own strings in the page's language: what web/i18n.py's table is for our strings, this is
for the ones Gradio draws itself (its upload box, its chat buttons, its table toolbar).

Gradio translates most of them once its locale is set (web/static/ui.js sets it to the page's
language). What is left is here: labels its zh-CN table lacks, texts to turn both ways when the
language changes under a component already drawn, what a chat message is called for a screen
reader, and keys its translations lack in every language.
"""

from __future__ import annotations

# Gradio's own labels that its zh-CN translation leaves in English (aria-label and title attributes),
# replaced in the page by web/static/ui.js, in both directions; Gradio's other strings follow the
# page's language through Gradio's own translations (ui.js sets its locale).
GRADIO_LABELS = {
    "chatbot conversation": "对话记录",
    "Copy message": "复制",
    "Copied message": "已复制",
    "Liked": "已赞",
    "Disliked": "已踩",
    "Loading response": "正在生成回答",
    "Loading content": "正在加载",
    "Scroll down": "滚动到底部",
    "Click to upload or drop files": "点击上传或拖放文件",
    "File upload": "上传文件",
    "Copy table data": "复制表格数据",
    "Dataframe": "表格",
    "Fullscreen": "全屏",
    "Exit fullscreen": "退出全屏",
    "More tabs": "更多标签页",
    "Open cell menu": "打开单元格菜单",
    "Table actions": "表格操作",
    "Reset to default value": "恢复默认值",
    "number input for k": "k 的数值",
    "range slider for k": "k 的滑块",
    # Texts as well as labels: a component already drawn keeps the language it was drawn in when
    # Gradio's locale changes, so ui.js turns these texts (exactly Gradio's own zh-CN) both ways.
    "Drop File Here": "将文件拖放到此处",
    "- or -": "- 或 -",
    "Click to Upload": "点击上传",
}
# Keys Gradio's own translations lack in every language (it would say "common.complete" to a screen
# reader when an answer is done): handed to Gradio as gr.I18n (app.py).
GRADIO_TRANSLATIONS = {"zh-CN": {"common.complete": "完成"}, "en": {"common.complete": "Done"}}
# What a chat message is called for a screen reader, before its text (Gradio puts its raw HTML there).
MESSAGE_LABELS = {"zh": {"bot": "回答：", "user": "问题："}, "en": {"bot": "Answer: ", "user": "Question: "}}
