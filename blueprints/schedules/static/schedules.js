// The schedule forms: "Replicas" is asked only when the target is a service's "scale".
document.addEventListener("change", function (ev) {
  var select = ev.target;
  if (!select.matches || !select.matches("select[name=target]")) return;
  var form = select.closest("form");
  var box = form && form.querySelector(".replicas-field");
  if (box) box.hidden = !/:scale$/.test(select.value);
});

// The schedules table refreshes itself (every 15 s, and after any change). A refresh that
// was already queued when a row turned into its edit form must not wipe what is typed.
document.addEventListener("htmx:beforeSwap", function (ev) {
  var elt = ev.detail.elt;
  if (elt && elt.id === "schedules-table" && elt.querySelector("tr.edit-row")) {
    ev.detail.shouldSwap = false;
  }
});
