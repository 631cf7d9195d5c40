// XEP-0114 §3: the component proves it knows the shared secret by sending
// hex(SHA-1(stream id + secret)); the comparison is constant-time so that the
// answer's timing says nothing about how much of a guess was right.
// References: XEP-0114 §3 (Example 3: id 3BF96D32, secret "test"), RFC 3174 (SHA-1).
const encoder = new TextEncoder();

/** Lower-case hex of SHA-1(streamId + secret), the handshake a component must send. */
export async function expectedHandshake(streamId: string, secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", encoder.encode(streamId + secret));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares two strings in time that depends only on their lengths. */
export function constantTimeEqualStrings(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Checks a component's <handshake/> text (surrounding whitespace and hex case are tolerated). */
export async function verifyHandshake(streamId: string, secret: string, offered: string): Promise<boolean> {
  return constantTimeEqualStrings(await expectedHandshake(streamId, secret), offered.trim().toLowerCase());
}
