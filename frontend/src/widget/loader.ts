// The loader a shop embeds with one <script> tag (built to /widget.js).
export {};
