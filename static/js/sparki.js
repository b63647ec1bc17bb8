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
  if (ev.detail.xhr.getResponseHeader("HX-Retarget") === "#toasts") {  // any error, as a toast
    ev.detail.shouldSwap = true;
    ev.detail.isError = false;
    return;
  }
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

// Error toasts (core.errors answers htmx requests with one): dismissed by their button.
document.addEventListener("click", function (ev) {
  var btn = ev.target.closest("[data-dismiss-toast]");
  if (btn) btn.closest(".toast").remove();
});

// A wait counted down in place (the login lockout): `data-countdown` seconds; at zero the
// element named by `data-countdown-enables` is enabled and the message says so.
function startCountdowns(root) {
  root.querySelectorAll("[data-countdown]").forEach(function (el) {
    var left = parseInt(el.getAttribute("data-countdown"), 10);
    var timer = setInterval(function () {
      left -= 1;
      el.textContent = String(Math.max(left, 0));
      if (left > 0) return;
      clearInterval(timer);
      var target = document.querySelector(el.getAttribute("data-countdown-enables"));
      if (target) target.disabled = false;
      var note = el.closest("[role=alert]");
      if (note) note.textContent = "You can try again now.";
    }, 1000);
  });
}
document.addEventListener("DOMContentLoaded", function () { startCountdowns(document); });

// The environment editor (services/_env.html): add and remove rows in place, show a value.
document.addEventListener("click", function (ev) {
  var add = ev.target.closest("[data-env-add]");
  if (add) {
    var editor = add.closest(".env-editor");
    var row = editor.querySelector("template.env-row-template").content.firstElementChild.cloneNode(true);
    editor.querySelector(".env-rows").appendChild(row);
    editor.querySelector(".env-empty").hidden = true;
    row.querySelector("input").focus();
    return;
  }
  var remove = ev.target.closest("[data-env-remove]");
  if (remove) {
    var ed = remove.closest(".env-editor");
    remove.closest(".env-row").remove();
    ed.querySelector(".env-empty").hidden = ed.querySelectorAll(".env-row").length > 0;
    return;
  }
  var reveal = ev.target.closest("[data-env-reveal]");
  if (reveal) {
    var value = reveal.closest(".env-row").querySelector("textarea");
    var shown = value.classList.toggle("masked") === false;
    reveal.textContent = shown ? "Hide" : "Show";
    reveal.setAttribute("aria-pressed", shown ? "true" : "false");
  }
});
