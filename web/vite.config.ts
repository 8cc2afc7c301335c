import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The app lives under /app/ (the local server and CloudFront serve it there). `npm run dev` proxies the
// API to a running `propfirm api` or `propfirm dev` (PROPFIRM_API, default http://127.0.0.1:8080).
const api = process.env.PROPFIRM_API ?? "http://127.0.0.1:8080";
const apiPaths = ["/me", "/challenges", "/admin", "/health", "/openapi.json"];

export default defineConfig({
  base: "/app/",
  plugins: [react()],
  build: { outDir: "dist", sourcemap: true, chunkSizeWarningLimit: 700 },
  server: { proxy: Object.fromEntries(apiPaths.map((p) => [p, api])) },
});
