// The deployment's server secret: 32 random bytes made once and kept in a singleton
// ThrottleObject, cached in memory per isolate. It keys the fake SCRAM salts of
// unknown accounts, which must not be computable by anyone (RFC 5802 §9: a server
// should not reveal whether an account exists).
import type { Ports } from "../ports/ports";

/** The name of the ThrottleObject that keeps the secret. */
export const SERVER_SECRET_OBJECT = "server-secret";

let cached: Promise<string> | null = null;

export function serverSecret(ports: Ports): Promise<string> {
  if (!cached) {
    cached = ports.throttle(SERVER_SECRET_OBJECT).serverSecret();
    // A failed fetch is not remembered: the next login asks again.
    cached.catch(() => (cached = null));
  }
  return cached;
}
