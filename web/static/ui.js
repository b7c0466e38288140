// In the chat UI's <head> (web/templates/ui_head.html), which also sets window.gwLabels from web/i18n_gradio.py.
//
// 1. A citation marker [n] (href="#gw-s-<message>-<n>") scrolls to its source in the same answer and
//    marks it. Gradio's sanitizer keeps class, id and href (not data-).
// 2. Gradio's own strings follow the page's language, not the browser's: its locale is set to
//    zh-CN or en with Gradio's changeLocale (from its core module, already loaded by the page) when
//    the page opens (?lang=en) and when the 中文/English switch is clicked.
// 3. Labels for screen readers: Gradio labels each chat message "bot's message: <the raw HTML>";
//    they become "回答：<its text>", and the few labels Gradio's translations leave in English
//    (gwLabels) are replaced. Gradio draws a component in the locale of that moment and does not
//    redraw it when the locale changes, so the texts of gwLabels are turned both ways too.
(function () {
  var labels = window.gwLabels || { gradio: {}, message: { zh: {}, en: {} } };
  var params = new URLSearchParams(location.search);
  var lang = (params.get("lang") || "").toLowerCase().split(/[-_]/)[0] === "en" ? "en" : "zh";

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

  // --- Gradio's locale ---------------------------------------------------------------------------
  var core = null;
  function coreModule() {
    if (core) return core;
    var url = performance.getEntriesByType("resource").map(function (e) { return e.name; })
      .filter(function (name) { return /\/assets\/core-[\w-]+\.js$/.test(name); })[0];
    core = url ? import(url) : Promise.reject(new Error("Gradio's core module is not loaded yet"));
    core.catch(function () { core = null; });
    return core;
  }
  function locale() { return lang === "en" ? "en" : "zh-CN"; }
  function applyLocale() {
    coreModule().then(function (module) {
      if (document.documentElement.lang !== locale()) module.changeLocale(locale());
    }).catch(function () { setTimeout(applyLocale, 300); });
  }
  // Gradio sets <html lang> whenever its locale changes; if it ever moves away from the page's, put it back.
  new MutationObserver(function () {
    if (document.documentElement.lang !== locale()) applyLocale();
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.closest && input.closest("#gw-lang") && input.value) {
      lang = input.value === "en" ? "en" : "zh";
      applyLocale();
      relabel();
    }
  }, true);

  // --- labels without markup ----------------------------------------------------------------------
  // gwLabels.gradio: {"Copy message": "复制回答", …} (Gradio's English label → ours in Chinese);
  // gwLabels.message: {zh: {bot: "回答：", user: "问题："}, en: {…}}.
  var english = {};
  Object.keys(labels.gradio || {}).forEach(function (key) { english[key] = key; english[labels.gradio[key]] = key; });
  var prefixes = [["bot's message: ", "bot"], ["user's message: ", "user"]];
  ["zh", "en"].forEach(function (code) {
    Object.keys(labels.message[code]).forEach(function (kind) { prefixes.push([labels.message[code][kind], kind]); });
  });
  function retext() {
    var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), node;
    while ((node = walker.nextNode())) {
      var text = node.nodeValue.trim(), key = text && english[text];
      if (!key || (node.parentElement && node.parentElement.closest(".gw-answer-block, .message, textarea, script, style"))) continue;
      var wanted = lang === "en" ? key : labels.gradio[key];
      if (wanted !== text) node.nodeValue = node.nodeValue.replace(text, wanted);
    }
  }
  function relabel() {
    retext();
    document.querySelectorAll("[aria-label], [title]").forEach(function (node) {
      ["aria-label", "title"].forEach(function (attribute) {
        var value = node.getAttribute(attribute), wanted = null;
        if (!value) return;
        if (english[value]) wanted = lang === "en" ? english[value] : labels.gradio[english[value]];
        prefixes.forEach(function (pair) {
          if (!wanted && value.indexOf(pair[0]) === 0) {
            var text = (node.textContent || "").replace(/\s+/g, " ").trim();
            wanted = labels.message[lang][pair[1]] + text.slice(0, 300);
          }
        });
        if (wanted && wanted !== value) node.setAttribute(attribute, wanted);
      });
    });
  }
  var pending = false;
  new MutationObserver(function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; relabel(); });
  }).observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label", "title"] });

  // Gradio adds this script to the page once its app has started: set the locale now.
  applyLocale();
  relabel();
})();
