"""``GET /embed``: a compact chat made for an iframe on another site (see docs/embedding.md).

Plain HTML and JavaScript, no build step. It asks ``api/ask/stream`` (same origin as the page, so
no CORS is needed), shows the provisional text while an LLM writes, then the verified answer with
clickable [n] markers that open the matching source (title, date, source, the passage with the
quoted sentence highlighted), and 👍/👎 with an optional comment and 「来源有误」 (``api/feedback``). Every piece of answer or passage text is inserted with
``textContent``/text nodes, never as HTML. Whether another site may frame it is decided by the
frame-ancestors policy (web/origins.py).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

EMBED_HTML = r"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>莞问 · 嵌入式问答</title>
<style>
  :root { --accent: #c0392b; --muted: #666; --line: #e3e3e3; }
  * { box-sizing: border-box; }
  html, body { height: 100%; margin: 0; }
  body { font: 15px/1.55 system-ui, -apple-system, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
         display: flex; flex-direction: column; color: #222; background: #fff; }
  header { display: flex; align-items: center; justify-content: space-between; padding: .45em .7em;
           border-bottom: 1px solid var(--line); }
  header strong { font-size: 1em; }
  button { font: inherit; cursor: pointer; }
  #gw-new { border: 1px solid var(--line); background: #fafafa; border-radius: 6px; padding: .15em .6em; }
  #gw-messages { flex: 1; overflow-y: auto; padding: .6em .7em; }
  .gw-empty { color: var(--muted); font-size: .92em; }
  .gw-msg { margin: .5em 0; padding: .5em .7em; border-radius: 8px; word-wrap: break-word; white-space: pre-wrap; }
  .gw-user { background: #f2f4f8; margin-left: 15%; }
  .gw-bot { background: #fff; border: 1px solid var(--line); margin-right: 5%; }
  .gw-error { border-color: var(--accent); color: var(--accent); }
  .gw-query, .gw-notice, .gw-verification, .gw-pending { color: var(--muted); font-size: .85em; white-space: normal; }
  .gw-cite { border: none; background: none; color: var(--accent); padding: 0 .1em; font-weight: 600; }
  .gw-cite:hover, .gw-cite:focus { text-decoration: underline; }
  .gw-sources { margin-top: .5em; font-size: .9em; white-space: normal; }
  .gw-source { border-left: 3px solid var(--accent); padding: .15em .5em; margin: .35em 0; }
  .gw-source summary { cursor: pointer; }
  .gw-source .gw-meta { color: var(--muted); font-size: .9em; }
  .gw-source mark { background: #ffe08a; }
  .gw-source.gw-flash { background: #fff6d6; }
  .gw-related .gw-source { border-left-color: #bbb; }
  .gw-rate { margin-top: .4em; font-size: .88em; color: var(--muted); white-space: normal; }
  .gw-rate button { border: 1px solid var(--line); background: #fafafa; border-radius: 6px; padding: 0 .5em; margin-right: .3em; }
  .gw-rate button[aria-pressed="true"] { border-color: var(--accent); background: #fff0ee; }
  .gw-rate-form { margin-top: .35em; display: flex; flex-wrap: wrap; gap: .35em; align-items: center; }
  .gw-rate-form input[type=text] { flex: 1 1 12em; min-width: 0; font: inherit; padding: .2em .4em; border: 1px solid #ccc; border-radius: 6px; }
  form#gw-form { display: flex; gap: .4em; padding: .5em .7em; border-top: 1px solid var(--line); }
  #gw-question { flex: 1; min-width: 0; font: inherit; padding: .4em .5em; border: 1px solid #ccc; border-radius: 6px; resize: none; }
  #gw-send { background: var(--accent); color: #fff; border: none; border-radius: 6px; padding: 0 1em; }
  #gw-send:disabled { opacity: .6; cursor: default; }
</style>
</head>
<body>
<header><strong>莞问 · 东莞未来产业问答</strong><button id="gw-new" type="button">新对话</button></header>
<main id="gw-messages" aria-live="polite"><p class="gw-empty">根据资料库中的文章回答，每个答案都注明出处。</p></main>
<form id="gw-form">
  <textarea id="gw-question" rows="2" maxlength="2000" placeholder="请输入问题" aria-label="问题"></textarea>
  <button id="gw-send" type="submit">提问</button>
</form>
<script>
(function () {
  "use strict";
  var messages = document.getElementById("gw-messages");
  var form = document.getElementById("gw-form");
  var input = document.getElementById("gw-question");
  var send = document.getElementById("gw-send");
  var turns = [];
  var documents = {};
  var answerCount = 0;
  var busy = false;
  // With auth on, the snippet gives a widget token in the page address; it goes out as a Bearer
  // header on our own requests, so the widget never needs (third-party) cookies.
  var token = new URLSearchParams(location.search).get("token");
  function headers(extra) {
    var h = extra || {};
    if (token) h["Authorization"] = "Bearer " + token;
    return h;
  }

  fetch("api/documents", { headers: headers() }).then(function (r) { return r.ok ? r.json() : []; }).then(function (docs) {
    docs.forEach(function (d) { documents[d.doc_id] = d; });
  }).catch(function () {});

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function scrollDown() { messages.scrollTop = messages.scrollHeight; }

  function addMessage(cls, text) {
    var empty = messages.querySelector(".gw-empty");
    if (empty) empty.remove();
    var node = el("div", "gw-msg " + cls, text);
    messages.appendChild(node);
    scrollDown();
    return node;
  }

  function highlighted(c) {
    var box = el("div", "gw-passage");
    var text = c.text || "", quote = c.quote || "";
    var start = quote ? text.indexOf(quote) : -1;
    if (start < 0) { box.textContent = text; return box; }
    box.appendChild(document.createTextNode(text.slice(0, start)));
    box.appendChild(el("mark", null, quote));
    box.appendChild(document.createTextNode(text.slice(start + quote.length)));
    return box;
  }

  function sourceList(heading, citations, cls, prefix) {
    var wrap = el("div", cls);
    wrap.appendChild(el("strong", null, heading));
    citations.forEach(function (c) {
      var item = el("details", "gw-source");
      item.id = prefix + c.id;
      var summary = el("summary", null, "[" + c.id + "] " + (c.title || c.doc_id));
      var doc = documents[c.doc_id] || {};
      var meta = [doc.published, doc.source, doc.author ? "作者 " + doc.author : ""].filter(Boolean).join(" · ");
      if (meta) { summary.appendChild(document.createTextNode(" ")); summary.appendChild(el("span", "gw-meta", meta)); }
      item.appendChild(summary);
      item.appendChild(highlighted(c));
      wrap.appendChild(item);
    });
    return wrap;
  }

  function reveal(id) {
    var item = document.getElementById(id);
    if (!item) return;
    item.open = true;
    item.classList.add("gw-flash");
    item.scrollIntoView({ block: "nearest" });
    setTimeout(function () { item.classList.remove("gw-flash"); }, 1500);
  }

  function renderAnswer(node, a, asked) {
    answerCount += 1;
    var prefix = "gw-src-" + answerCount + "-";
    node.textContent = "";
    node.classList.remove("gw-error");
    if (a.query && a.query !== asked) node.appendChild(el("div", "gw-query", "检索：" + a.query));
    if (a.notice) node.appendChild(el("div", "gw-notice", a.notice));
    var body = el("div", "gw-answer");
    var known = {};
    (a.citations || []).forEach(function (c) { known[c.id] = true; });
    a.answer.split(/(\[\d+\])/).forEach(function (part) {
      var m = /^\[(\d+)\]$/.exec(part);
      if (m && known[m[1]]) {
        var b = el("button", "gw-cite", part);
        b.type = "button";
        b.setAttribute("aria-label", "查看来源 " + m[1]);
        b.addEventListener("click", function () { reveal(prefix + m[1]); });
        body.appendChild(b);
      } else if (part) {
        body.appendChild(document.createTextNode(part));
      }
    });
    node.appendChild(body);
    var v = a.verification;
    var removed = v ? v.citations_removed + v.sentences_dropped : 0;
    if (removed) node.appendChild(el("div", "gw-verification", "已删去 " + removed + " 处无法在资料中核实的内容。"));
    if (a.citations && a.citations.length) {
      node.appendChild(sourceList("来源", a.citations, "gw-sources", prefix));
    } else if (a.related && a.related.length) {
      node.appendChild(sourceList("相关段落（不足以回答问题）", a.related, "gw-sources gw-related", prefix + "r"));
    }
    scrollDown();
  }

  function feedbackControls(node, a, asked) {
    var box = el("div", "gw-rate");
    box.appendChild(document.createTextNode("这个回答有帮助吗？ "));
    var up = el("button", "gw-rate-up", "👍"), down = el("button", "gw-rate-down", "👎");
    [up, down].forEach(function (b) { b.type = "button"; b.setAttribute("aria-pressed", "false"); box.appendChild(b); });
    up.setAttribute("aria-label", "有帮助"); down.setAttribute("aria-label", "没有帮助");
    var formBox = el("div", "gw-rate-form"); formBox.hidden = true;
    var wrongLabel = el("label"), wrong = el("input");
    wrong.type = "checkbox"; wrong.className = "gw-rate-wrong";
    wrongLabel.appendChild(wrong); wrongLabel.appendChild(document.createTextNode("来源有误"));
    var comment = el("input", "gw-rate-comment"); comment.type = "text"; comment.maxLength = 4000; comment.placeholder = "补充说明（可选）";
    var submit = el("button", "gw-rate-send", "提交"); submit.type = "button";
    var status = el("span", "gw-rate-status");
    [wrongLabel, comment, submit, status].forEach(function (n) { formBox.appendChild(n); });
    box.appendChild(formBox);
    var rating = null;
    function choose(value) {
      rating = value;
      up.setAttribute("aria-pressed", String(value === "up"));
      down.setAttribute("aria-pressed", String(value === "down"));
      formBox.hidden = false;
      status.textContent = "";
    }
    up.addEventListener("click", function () { choose("up"); });
    down.addEventListener("click", function () { choose("down"); });
    submit.addEventListener("click", async function () {
      if (!rating) return;
      submit.disabled = true;
      try {
        var response = await fetch("api/feedback", {
          method: "POST",
          headers: headers({ "Content-Type": "application/json" }),
          body: JSON.stringify({
            question: asked, answer: a.answer, rating: rating, comment: comment.value.trim(),
            wrong_source: wrong.checked, citations: a.citations || [], query: a.query || "",
            refused: !!a.refused, channel: "embed"
          })
        });
        status.textContent = response.ok ? "谢谢，反馈已保存。" : "反馈保存失败（" + response.status + "）。";
      } catch (e) {
        status.textContent = "网络错误，反馈未保存。";
      } finally {
        submit.disabled = false;
      }
    });
    node.appendChild(box);
  }

  function showError(node, text) {
    node.textContent = text;
    node.classList.add("gw-error");
  }

  async function ask(question) {
    busy = true; send.disabled = true;
    addMessage("gw-user", question);
    var node = addMessage("gw-bot", "");
    node.appendChild(el("span", "gw-pending", "正在检索…"));
    try {
      var response = await fetch("api/ask/stream", {
        method: "POST",
        headers: headers({ "Content-Type": "application/json" }),
        body: JSON.stringify({ question: question, history: turns.slice(-20) })
      });
      if (!response.ok) {
        var message = "请求失败（" + response.status + "）";
        try { var err = await response.json(); if (err.error) message += "：" + err.error; } catch (e) {}
        showError(node, message);
        return;
      }
      var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = "", provisional = "", final = null;
      while (true) {
        var chunk = await reader.read();
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        var blocks = buffer.split("\n\n");
        buffer = blocks.pop();
        blocks.forEach(function (block) {
          var kind = "message", data = "";
          block.split("\n").forEach(function (line) {
            if (line.indexOf("event: ") === 0) kind = line.slice(7);
            else if (line.indexOf("data: ") === 0) data += line.slice(6);
          });
          if (!data) return;
          var payload = JSON.parse(data);
          if (kind === "token") {
            provisional += payload.text;
            node.textContent = provisional;
            node.appendChild(el("div", "gw-pending", "生成中，核实后显示来源…"));
            scrollDown();
          } else if (kind === "answer") {
            final = payload;
          }
        });
      }
      if (!final) { showError(node, "回答中断，请重试。"); return; }
      renderAnswer(node, final, question);
      feedbackControls(node, final, question);
      turns.push({ role: "user", content: question }, { role: "assistant", content: final.answer });
    } catch (e) {
      showError(node, "网络错误，请稍后再试。");
    } finally {
      busy = false; send.disabled = false;
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value.trim();
    if (!question || busy) return;
    input.value = "";
    ask(question);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  document.getElementById("gw-new").addEventListener("click", function () {
    turns = [];
    messages.textContent = "";
    messages.appendChild(el("p", "gw-empty", "新对话：请输入问题。"));
    input.focus();
  });
})();
</script>
</body>
</html>
"""


def install_embed(api: FastAPI) -> None:
    @api.get("/embed", response_class=HTMLResponse, include_in_schema=False)
    def embed() -> HTMLResponse:
        # no-referrer: the widget token in this page's address never leaves in a Referer header.
        return HTMLResponse(EMBED_HTML, headers={"Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"})
