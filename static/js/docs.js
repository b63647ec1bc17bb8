// Renders the generated OpenAPI document with the locally installed Swagger UI.
// "Try it out" acts as the logged-in user: the session cookie rides along (same origin) and
// unsafe methods carry the page's CSRF token, which the API checks for cookie sessions.
// Requests that use Authorize (X-API-Key or a bearer token) are not cookie requests and need
// no token; the header is then harmless.
(function () {
  var script = document.currentScript;
  var spec = script.getAttribute("data-spec");
  var csrf = script.getAttribute("data-csrf");
  var SAFE = { GET: 1, HEAD: 1, OPTIONS: 1, TRACE: 1 };
  window.ui = SwaggerUIBundle({
    url: spec,
    dom_id: "#swagger-ui",
    deepLinking: true,
    requestInterceptor: function (req) {
      var sameOrigin = new URL(req.url, window.location.href).origin === window.location.origin;
      if (csrf && sameOrigin && !SAFE[(req.method || "GET").toUpperCase()]) {
        req.headers["X-CSRFToken"] = csrf;
      }
      req.credentials = "same-origin";
      return req;
    },
  });
})();
