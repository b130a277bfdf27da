// The pages: the widget app (inside the widget's iframe and the standalone chat page at /) and the back office
// (/app/...). Built into faqbot/static/dist/, which the service serves under /static/dist/.
import { resolve } from "node:path";
import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: "/static/dist/",
  plugins: [preact()],
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
