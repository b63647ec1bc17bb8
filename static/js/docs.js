// Renders the generated OpenAPI document with the locally installed Swagger UI.
(function () {
  var spec = document.currentScript.getAttribute("data-spec");
  window.ui = SwaggerUIBundle({ url: spec, dom_id: "#swagger-ui", deepLinking: true });
})();
