// Starts Swagger UI on /docs from the bundled assets (no CDN; a file, not an inline script, for the CSP).
(function () {
  "use strict";
  const root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: root.dataset.openapi, dom_id: "#swagger-ui", deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis], layout: "BaseLayout" });
})();
