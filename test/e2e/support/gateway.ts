// The harness API tests import: the shared gateway, accounts, fresh names.
// startGateway itself lives in spawn-gateway.ts so that global-setup.ts (which runs
// outside the test workers) never imports "vitest".
import { inject } from "vitest";
import { ADMIN_TOKEN } from "./config";

export { startGateway, freePort, REPO_ROOT, type Gateway } from "./spawn-gateway";

declare module "vitest" {
  export interface ProvidedContext {
    gatewayUrl: string;
  }
}

/** The gateway shared by the whole run (started by global-setup.ts). */
export function gatewayUrl(): string {
  return inject("gatewayUrl");
}

export { wsUrl } from "./url";

/** Creates (or re-passwords) an account through the admin API. */
export async function createUser(jid: string, password = "pw", base: string = gatewayUrl()): Promise<void> {
  const res = await fetch(`${base}/admin/users/${encodeURIComponent(jid)}`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify({ password }),
  });
  if (res.status !== 201 && res.status !== 204) {
    throw new Error(`PUT /admin/users/${jid} → ${res.status} ${await res.text()}`);
  }
}

let counter = 0;
/** A fresh localpart: storage is shared by the whole run, so every test uses new accounts. */
export function uniqueName(prefix: string): string {
  counter += 1;
  const rand = Math.random().toString(36).slice(2, 7);
  return `${prefix}-${rand}${counter.toString(36)}`;
}
