// GET /embed (web/templates/embed.html): asks api/ask/stream, shows the provisional text, then the
// verified answer with clickable [n] markers and its sources, and thumbs up/down feedback (api/feedback).
// Every piece of answer or passage text is inserted with textContent/text nodes, never as HTML.
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

  var THUMB = "M7 10v11H3V10h4zm2 11h8.2a2 2 0 0 0 2-1.6l1.3-7A2 2 0 0 0 18.5 10H14l.8-4.2A2 2 0 0 0 13 3.5L9 10v11z";
  function thumb(down) {
    var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg"), path = document.createElementNS(ns, "path");
    svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("width", "14"); svg.setAttribute("height", "14");
    svg.setAttribute("aria-hidden", "true"); svg.setAttribute("class", "gw-thumb");
    if (down) svg.setAttribute("transform", "rotate(180)");
    path.setAttribute("d", THUMB); path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  function feedbackControls(node, a, asked) {
    var box = el("div", "gw-rate");
    box.appendChild(document.createTextNode("这个回答有帮助吗？ "));
    // Drawn thumbs (SVG), not emoji: a machine without an emoji font would show empty boxes.
    var up = el("button", "gw-rate-up"), down = el("button", "gw-rate-down");
    up.appendChild(thumb(false)); up.appendChild(document.createTextNode(" 有帮助"));
    down.appendChild(thumb(true)); down.appendChild(document.createTextNode(" 没帮助"));
    [up, down].forEach(function (b) { b.type = "button"; b.setAttribute("aria-pressed", "false"); box.appendChild(b); });
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
