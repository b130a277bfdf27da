// The back office's routes are plain paths under /app/ (the service answers every /app/... with the SPA).
import { useEffect, useState } from "preact/hooks";

export function navigate(path: string, replace = false): void {
  if (path === location.pathname + location.search) return;
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  window.dispatchEvent(new Event("fb:navigate"));
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    window.addEventListener("popstate", update);
    window.addEventListener("fb:navigate", update);
    return () => { window.removeEventListener("popstate", update); window.removeEventListener("fb:navigate", update); };
  }, []);
  return path;
}
