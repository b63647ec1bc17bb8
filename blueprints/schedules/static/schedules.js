// The schedule forms: "Replicas" is asked only when the target is a service's "scale".
document.addEventListener("change", function (ev) {
  var select = ev.target;
  if (!select.matches || !select.matches("select[name=target]")) return;
  var form = select.closest("form");
  var box = form && form.querySelector(".replicas-field");
  if (box) box.hidden = !/:scale$/.test(select.value);
});
