// The API reference (web/templates/api_docs.html): Swagger UI or ReDoc on this app's openapi.json.
// validatorUrl null: Swagger UI would otherwise send the schema to validator.swagger.io for a badge.
(function () {
  var body = document.body, spec = body.getAttribute("data-openapi");
  if (body.getAttribute("data-kind") === "swagger") {
    window.ui = SwaggerUIBundle({
      url: spec, dom_id: "#swagger-ui", layout: "BaseLayout", deepLinking: true, validatorUrl: null,
      showExtensions: true, showCommonExtensions: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]
    });
  } else {
    Redoc.init(spec, { hideDownloadButton: false }, document.getElementById("redoc"));
  }
})();
