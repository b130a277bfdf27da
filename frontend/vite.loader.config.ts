// The loader a shop embeds (one <script> tag): a single classic script with no imports, served at /widget.js.
import { resolve } from "node:path";
import { defineConfig } from "vite";

const root = import.meta.dirname;

export default defineConfig({
  root,
  build: {
    outDir: resolve(root, "../faqbot/static/dist"),
    emptyOutDir: false,
    target: "es2017",
    lib: { entry: resolve(root, "src/widget/loader.ts"), name: "faqbotLoader", formats: ["iife"], fileName: () => "widget.js" },
  },
});
