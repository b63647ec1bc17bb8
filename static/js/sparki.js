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

// Live logs never show a line twice. Each SSE event carries its log line's stream id
// (Redis "ms-seq"). On an element with data-sse-resume, a line at or before the last one shown
// is dropped, and the connect URL follows the last id shown: when htmx's SSE extension opens a
// new EventSource after an outage it sends no Last-Event-ID, so the URL says where to resume.
function sparkiStreamIdAfter(a, b) {
  var pa = a.split("-"), pb = b.split("-");
  var ma = Number(pa[0]), mb = Number(pb[0]);
  if (ma !== mb) return ma > mb;
  return Number(pa[1] || 0) > Number(pb[1] || 0);
}
document.addEventListener("htmx:sseBeforeMessage", function (ev) {
  var elt = ev.target.closest("[data-sse-resume]");
  var id = ev.detail && ev.detail.lastEventId;
  if (!elt || !id) return;
  var last = elt.getAttribute("data-last-event-id");
  if (last && !sparkiStreamIdAfter(id, last)) {
    ev.preventDefault();
    return;
  }
  elt.setAttribute("data-last-event-id", id);
  var url = new URL(elt.getAttribute("sse-connect"), window.location.href);
  url.searchParams.set("lastEventId", id);
  elt.setAttribute("sse-connect", url.pathname + url.search);
});
