// XEP-0114 §3: the component proves it knows the shared secret by sending
// hex(SHA-1(stream id + secret)); the comparison is constant-time.
const encoder = new TextEncoder();

export async function expectedHandshake(streamId: string, secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", encoder.encode(streamId + secret));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function constantTimeEqualStrings(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export async function verifyHandshake(streamId: string, secret: string, offered: string): Promise<boolean> {
  return constantTimeEqualStrings(await expectedHandshake(streamId, secret), offered.trim().toLowerCase());
}

/** XEP-0114 §3 / CONTRACT.md: a component's `from` must be its domain or a JID at it. */
export function fromAllowed(component: string, from: string): boolean {
  const slash = from.indexOf("/");
  const bare = slash === -1 ? from : from.slice(0, slash);
  const domain = bare.slice(bare.indexOf("@") + 1);
  return domain === component;
}
