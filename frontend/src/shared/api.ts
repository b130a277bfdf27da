// Calls to the service. Every error the service sends is {"error": {"code", "message"}}; it arrives here as an
// ApiError with the code, so the UI can show its own text for the codes it knows.

export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string) {
    super(message);
  }
}

export type Auth = { kind: "bearer"; token: string } | null;

export async function api<T = any>(method: string, path: string, body?: unknown, auth: Auth = null,
                                   init: RequestInit = {}): Promise<T> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (auth) headers.Authorization = "Bearer " + auth.token;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), ...init });
  } catch (err) {
    throw new ApiError(0, "network", "network error");
  }
  if (response.status === 204) return {} as T;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || "http_" + response.status, error.message || "HTTP " + response.status);
  }
  return data as T;
}

export function wsUrl(path: string): string {
  return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
}
