// Hash routes (#/challenges/12): the app is static files under /app/, so the server never sees a route.
import { useEffect, useState } from "react";

export function useRoute(): string {
  const read = () => window.location.hash.replace(/^#/, "") || "/";
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const changed = () => setRoute(read());
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return route;
}

/** `match("/challenges/:id", "/challenges/12")` → {id: "12"}; null when it does not match. */
export function match(pattern: string, route: string): Record<string, string> | null {
  const path = route.split("?")[0] ?? "/";
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? "";
    const g = got[i] ?? "";
    if (w.startsWith(":")) params[w.slice(1)] = decodeURIComponent(g);
    else if (w !== g) return null;
  }
  return params;
}

export function link(path: string): string {
  return `#${path}`;
}
