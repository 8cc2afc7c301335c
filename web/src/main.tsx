import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import "@picocss/pico/css/pico.min.css";
import "./styles.css";
import { App } from "./App";
import { loadConfig, signIn } from "./auth";
import { ApiError } from "./api/client";

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (count, error) => !(error instanceof ApiError && error.problem.status < 500) && count < 2,
      refetchOnWindowFocus: true,
      staleTime: 2000,
    },
  },
});

async function start(): Promise<void> {
  const config = await loadConfig();
  await signIn(config);
  const root = document.getElementById("root");
  if (!root) return;
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queries}>
        <App config={config} />
      </QueryClientProvider>
    </StrictMode>,
  );
}

void start();
