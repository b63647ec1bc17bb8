// Small behaviours the dashboard needs beyond htmx.
document.addEventListener("click", function (ev) {
  var btn = ev.target.closest("[data-copy]");
  if (!btn) return;
  var el = document.querySelector(btn.getAttribute("data-copy"));
  if (!el) return;
  var text = el.textContent.trim();
  var done = function () { btn.textContent = "Copied"; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done);
  } else {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    document.execCommand("copy");
    done();
  }
});

// htmx swaps error responses too, so forms can show inline validation errors (400/409/403).
document.addEventListener("htmx:beforeSwap", function (ev) {
  var status = ev.detail.xhr.status;
  if (status === 400 || status === 401 || status === 403 || status === 404 || status === 409 || status === 422) {
    ev.detail.shouldSwap = true;
    ev.detail.isError = false;
  }
});
