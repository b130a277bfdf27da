// The pages: the widget app (inside the widget's iframe and the standalone chat page at /) and the back office
// (/app/...). Built into faqbot/static/dist/, which the service serves under /static/dist/.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { defineConfig, type Plugin } from "vite";
import preact from "@preact/preset-vite";

const root = import.meta.dirname;

// The API docs (/docs) work offline: Swagger UI's assets come from the pinned npm package, copied next to the
// pages at build time (never committed, never from a CDN).
function swaggerUiAssets(): Plugin {
  const from = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const to = resolve(root, "../faqbot/static/dist/swagger");
  return {
    name: "faqbot-swagger-ui-assets",
    apply: "build",
    closeBundle() {
      mkdirSync(to, { recursive: true });
      for (const name of ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE"]) {
        copyFileSync(resolve(from, name), resolve(to, name));
      }
      copyFileSync(resolve(root, "docs/swagger-init.js"), resolve(to, "swagger-init.js"));
    },
  };
}

export default defineConfig({
  root,
  base: "/static/dist/",
  plugins: [preact(), swaggerUiAssets()],
  build: {
    outDir: resolve(root, "../faqbot/static/dist"),
    emptyOutDir: true,
    target: "es2020",
    sourcemap: false,
    rollupOptions: {
      input: {
        widget: resolve(root, "widget.html"),
        app: resolve(root, "app.html"),
      },
    },
  },
});
