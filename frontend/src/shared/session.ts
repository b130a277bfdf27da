// Who is signed in to the back office, and what their roles let them see.

export type Role = "agent" | "editor" | "supervisor" | "admin";

export interface AgentAccount {
  id: string;
  username: string;
  display_name: string;
  role?: string;
  roles?: string[];
  presence?: string;
  auto_assign?: boolean;
  [key: string]: unknown;
}

/** An account's roles: `roles` when the service sends it, else its single `role`. */
export function rolesOf(agent: AgentAccount | null): Role[] {
  if (!agent) return [];
  const roles = Array.isArray(agent.roles) && agent.roles.length ? agent.roles : agent.role ? [agent.role] : [];
  return roles.filter((r): r is Role => ["agent", "editor", "supervisor", "admin"].includes(r));
}

export function hasAnyRole(agent: AgentAccount | null, allowed: readonly Role[]): boolean {
  const roles = rolesOf(agent);
  return roles.includes("admin") || roles.some((r) => allowed.includes(r));
}

const TOKEN_KEY = "faqbot.agentToken";

export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};
