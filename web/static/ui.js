// In the chat UI's <head> (web/templates/ui_head.html): a delegated click handler. A citation marker [n]
// (href="#gw-s-<message>-<n>") scrolls to its source in the same answer and marks it. Gradio's
// sanitizer keeps class, id and href (not data-).
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
