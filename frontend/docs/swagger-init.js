// Starts Swagger UI on the service's /docs page (a file, not an inline script: the page's CSP allows only
// scripts from the service itself). The assets come from the npm package swagger-ui-dist, copied by the build.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,           // no call to validator.swagger.io
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout",
  });
});
