// SASL: SCRAM-SHA-1 / SCRAM-SHA-256 (RFC 5802 §5, RFC 7677 §3 vectors), PLAIN
// (RFC 4616), stored credentials and the base64 helpers of RFC 6120 §6.4.2.
import { describe, expect, it } from "vitest";
import {
  DEFAULT_ITERATIONS,
  MAX_CLIENT_FIRST_BYTES,
  MAX_ITERATIONS,
  base64ToBytes,
  base64ToUtf8,
  bytesToBase64,
  constantTimeEqual,
  credentialFor,
  deriveCredential,
  deriveCredentials,
  fakeCredential,
  fakeCredentials,
  parseClientFirst,
  parsePlain,
  saslPrepLite,
  scramHashFor,
  serverFirstMessage,
  utf8ToBase64,
  verifyClientFinal,
  verifyPassword,
  type ClientFirst,
  type ScramCredential,
  type ScramHash,
  type ScramPending,
} from "../../src/sasl";

const enc = new TextEncoder();

// --- An independent SCRAM client, written straight against WebCrypto -----

async function hmacRaw(hash: ScramHash, key: Uint8Array, data: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(data)));
}

/** Client side of RFC 5802 §3: returns the proof and expected server signature. */
async function clientProof(
  hash: ScramHash,
  password: string,
  saltB64: string,
  iterations: number,
  authMessage: string,
): Promise<{ proof: string; serverSignature: string }> {
  const salt = Uint8Array.from(atob(saltB64), (c) => c.charCodeAt(0));
  const pw = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = hash === "SHA-1" ? 160 : 256;
  const salted = new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash, salt, iterations }, pw, bits));
  const clientKey = await hmacRaw(hash, salted, "Client Key");
  const storedKey = new Uint8Array(await crypto.subtle.digest(hash, clientKey));
  const clientSignature = await hmacRaw(hash, storedKey, authMessage);
  const proof = clientKey.map((b, i) => b ^ clientSignature[i]!);
  const serverKey = await hmacRaw(hash, salted, "Server Key");
  const serverSignature = await hmacRaw(hash, serverKey, authMessage);
  return { proof: bytesToBase64(proof), serverSignature: bytesToBase64(serverSignature) };
}

/** Parses "r=..,s=..,i=.." as a client would. */
function parseServerFirst(serverFirst: string): { nonce: string; salt: string; iterations: number } {
  const m = /^r=([^,]+),s=([^,]+),i=(\d+)$/.exec(serverFirst);
  if (!m) throw new Error(`bad server-first ${serverFirst}`);
  return { nonce: m[1]!, salt: m[2]!, iterations: Number(m[3]) };
}

/**
 * Builds a client-final message. `cbHeader` and `nonce` default to the honest
 * values; overriding them still yields a proof that is correct for the
 * message actually sent, so only the server's c=/r= checks can catch it.
 */
async function clientFinal(
  hash: ScramHash,
  password: string,
  clientFirstBare: string,
  gs2Header: string,
  serverFirst: string,
  overrides: { cbHeader?: string; nonce?: string } = {},
): Promise<{ message: string; serverSignature: string }> {
  const sf = parseServerFirst(serverFirst);
  const withoutProof = `c=${utf8ToBase64(overrides.cbHeader ?? gs2Header)},r=${overrides.nonce ?? sf.nonce}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const { proof, serverSignature } = await clientProof(hash, password, sf.salt, sf.iterations, authMessage);
  return { message: `${withoutProof},p=${proof}`, serverSignature: `v=${serverSignature}` };
}

function mustParse(message: string): ClientFirst {
  const first = parseClientFirst(message);
  if ("error" in first) throw new Error(`unexpected ${first.error} for ${message}`);
  return first;
}

/** Runs client-first -> server-first for a password on a fresh SHA credential. */
async function start(hash: ScramHash, password: string, clientFirst: string, iterations = 4096) {
  const cred = await deriveCredential(hash, password, crypto.getRandomValues(new Uint8Array(16)), iterations);
  const first = mustParse(clientFirst);
  const { pending, message } = serverFirstMessage(hash, first, cred);
  return { cred, first, pending, serverFirst: message };
}

// --- RFC test vectors -----------------------------------------------------

describe("RFC 5802 §5 SCRAM-SHA-1 example", () => {
  const clientFirst = "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL";
  const serverFirst = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
  const clientFinalMsg = "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=";

  it("parses client-first, builds the exact server-first and accepts the RFC proof", async () => {
    const first = mustParse(clientFirst);
    expect(first).toEqual({
      gs2Header: "n,,",
      username: "user",
      clientNonce: "fyko+d2lbbFgONRv9qkxdawL",
      clientFirstBare: "n=user,r=fyko+d2lbbFgONRv9qkxdawL",
    });
    const cred = await deriveCredential("SHA-1", "pencil", base64ToBytes("QSXCR+Q6sek8bf92")!, 4096);
    const { pending, message } = serverFirstMessage("SHA-1", first, cred, "3rfcNHYJY1ZVvWVs7j");
    expect(message).toBe(serverFirst);
    expect(pending.nonce).toBe("fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j");
    expect(await verifyClientFinal(pending, clientFinalMsg)).toEqual({
      ok: true,
      serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
    });
  });

  it("the test client reproduces the RFC proof (cross-check of the client itself)", async () => {
    const { message, serverSignature } = await clientFinal(
      "SHA-1", "pencil", "n=user,r=fyko+d2lbbFgONRv9qkxdawL", "n,,", serverFirst,
    );
    expect(message).toBe(clientFinalMsg);
    expect(serverSignature).toBe("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
  });

  it("refuses the RFC proof for another password", async () => {
    const cred = await deriveCredential("SHA-1", "pencil2", base64ToBytes("QSXCR+Q6sek8bf92")!, 4096);
    const { pending } = serverFirstMessage("SHA-1", mustParse(clientFirst), cred, "3rfcNHYJY1ZVvWVs7j");
    expect(await verifyClientFinal(pending, clientFinalMsg)).toEqual({ ok: false, condition: "not-authorized" });
  });
});

describe("RFC 7677 §3 SCRAM-SHA-256 example", () => {
  const clientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
  const serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
  const clientFinalMsg =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";

  it("builds the exact server-first and accepts the RFC proof", async () => {
    const first = mustParse(clientFirst);
    const cred = await deriveCredential("SHA-256", "pencil", base64ToBytes("W22ZaJ0SNY7soEsUEjb6gQ==")!, 4096);
    const { pending, message } = serverFirstMessage("SHA-256", first, cred, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
    expect(message).toBe(serverFirst);
    expect(await verifyClientFinal(pending, clientFinalMsg)).toEqual({
      ok: true,
      serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
    });
  });

  it("survives a JSON round trip of the pending state (hibernation)", async () => {
    const cred = await deriveCredential("SHA-256", "pencil", base64ToBytes("W22ZaJ0SNY7soEsUEjb6gQ==")!, 4096);
    const { pending } = serverFirstMessage("SHA-256", mustParse(clientFirst), cred, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
    const revived = JSON.parse(JSON.stringify(pending)) as ScramPending;
    expect(revived).toEqual(pending);
    const result = await verifyClientFinal(revived, clientFinalMsg);
    expect(result).toEqual({ ok: true, serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" });
  });
});

// --- Full exchanges with the test client ----------------------------------

describe("SCRAM exchange round trip", () => {
  for (const hash of ["SHA-1", "SHA-256"] as const) {
    it(`${hash}: a client with the right password succeeds and can verify the server`, async () => {
      const { first, pending, serverFirst } = await start(hash, "correct horse", "n,,n=juliet,r=abcdefghijklmnop");
      const sf = parseServerFirst(serverFirst);
      expect(sf.nonce.startsWith("abcdefghijklmnop")).toBe(true);
      expect(sf.iterations).toBe(4096);
      const { message, serverSignature } = await clientFinal(hash, "correct horse", first.clientFirstBare, "n,,", serverFirst);
      expect(await verifyClientFinal(pending, message)).toEqual({ ok: true, serverFinal: serverSignature });
    });

    it(`${hash}: a wrong password is not-authorized`, async () => {
      const { first, pending, serverFirst } = await start(hash, "correct horse", "n,,n=juliet,r=abcdefghijklmnop");
      const { message } = await clientFinal(hash, "battery staple", first.clientFirstBare, "n,,", serverFirst);
      expect(await verifyClientFinal(pending, message)).toEqual({ ok: false, condition: "not-authorized" });
    });
  }

  it("carries authzid, escaped and non-ASCII names, and SASLprep'd passwords", async () => {
    // "Ju,li=ët" escaped as saslname; the password contains U+00A0, which
    // SASLprep maps to a space, so the client's prepared form is "p w".
    const clientFirstMsg = "y,a=romeo@montague.lit,n=Ju=2Cli=3D\u00EBt,r=nonce-1";
    const { first, pending, serverFirst } = await start("SHA-256", "p\u00A0w", clientFirstMsg);
    expect(first.username).toBe("Ju,li=\u00EBt");
    expect(first.authzid).toBe("romeo@montague.lit");
    expect(first.gs2Header).toBe("y,a=romeo@montague.lit,");
    expect(pending.username).toBe("Ju,li=\u00EBt");
    expect(pending.authzid).toBe("romeo@montague.lit");
    const { message, serverSignature } = await clientFinal(
      "SHA-256", "p w", first.clientFirstBare, first.gs2Header, serverFirst,
    );
    expect(await verifyClientFinal(pending, message)).toEqual({ ok: true, serverFinal: serverSignature });
  });

  it("a tampered nonce is not-authorized even with a proof matching the tampered message", async () => {
    const { first, pending, serverFirst } = await start("SHA-256", "pencil", "n,,n=user,r=clientnonce");
    const honest = parseServerFirst(serverFirst).nonce;
    for (const nonce of [honest + "x", honest.slice(0, -1), "clientnonce"]) {
      const { message } = await clientFinal("SHA-256", "pencil", first.clientFirstBare, "n,,", serverFirst, { nonce });
      expect(await verifyClientFinal(pending, message)).toEqual({ ok: false, condition: "not-authorized" });
    }
  });

  it("tampered channel binding data (gs2 header changed) is not-authorized", async () => {
    const { first, pending, serverFirst } = await start("SHA-1", "pencil", "n,,n=user,r=clientnonce");
    for (const cbHeader of ["y,,", "n,a=admin,", "n,"]) {
      const { message } = await clientFinal("SHA-1", "pencil", first.clientFirstBare, "n,,", serverFirst, { cbHeader });
      expect(await verifyClientFinal(pending, message)).toEqual({ ok: false, condition: "not-authorized" });
    }
  });

  it("the default server nonce is 18 random bytes of base64 appended to the client's", async () => {
    const first = mustParse("n,,n=user,r=abc");
    const cred = await deriveCredential("SHA-256", "pencil", new Uint8Array(16).fill(7), 4096);
    const a = serverFirstMessage("SHA-256", first, cred).pending.nonce;
    const b = serverFirstMessage("SHA-256", first, cred).pending.nonce;
    expect(a).toMatch(/^abc[A-Za-z0-9+/]{24}$/);
    expect(b).toMatch(/^abc[A-Za-z0-9+/]{24}$/);
    expect(a).not.toBe(b);
  });

  it("refuses a server nonce that would break the message syntax", async () => {
    const cred = await deriveCredential("SHA-256", "pencil", new Uint8Array(16).fill(7), 4096);
    expect(() => serverFirstMessage("SHA-256", mustParse("n,,n=user,r=abc"), cred, "a,b")).toThrow();
    expect(() => serverFirstMessage("SHA-256", mustParse("n,,n=user,r=abc"), cred, "")).toThrow();
  });

  it("keeps the pending state of the largest accepted client-first under 2 KB", async () => {
    const cred = await deriveCredential("SHA-256", "pencil", new Uint8Array(16).fill(7), MAX_ITERATIONS);
    // Non-ASCII names cost the most bytes; fill the limit with them.
    const prefix = "n,a=", mid = ",n=", tail = ",r=";
    const budget = MAX_CLIENT_FIRST_BYTES - prefix.length - mid.length - tail.length - 10; // 10-byte nonce
    const name = "\u20AC".repeat(Math.floor(budget / 2 / 3)); // 3 UTF-8 bytes each
    const msg = `${prefix}${name}${mid}${name}${tail}0123456789`;
    expect(enc.encode(msg).length).toBeLessThanOrEqual(MAX_CLIENT_FIRST_BYTES);
    const { pending } = serverFirstMessage("SHA-256", mustParse(msg), cred);
    expect(enc.encode(JSON.stringify(pending)).length).toBeLessThan(2048);
    expect(parseClientFirst(msg + "x".repeat(MAX_CLIENT_FIRST_BYTES))).toEqual({ error: "malformed-request" });
  });
});

// --- Parsing --------------------------------------------------------------

describe("parseClientFirst", () => {
  it("unescapes =2C and =3D in username and authzid, keeps the message verbatim", () => {
    expect(mustParse("n,a=ju=2Cliet=3D,n=us=3Der=2C,r=abc")).toEqual({
      gs2Header: "n,a=ju=2Cliet=3D,",
      authzid: "ju,liet=",
      username: "us=er,",
      clientNonce: "abc",
      clientFirstBare: "n=us=3Der=2C,r=abc",
    });
  });

  it("NFC-normalises the username but not clientFirstBare (it is signed as sent)", () => {
    const first = mustParse("n,,n=Cafe\u0301,r=abc");
    expect(first.username).toBe("Caf\u00E9");
    expect(first.clientFirstBare).toBe("n=Cafe\u0301,r=abc");
  });

  it("accepts flag y and ignores well-formed extensions", () => {
    expect(mustParse("y,,n=user,r=abc,x=1,y=two")).toMatchObject({ gs2Header: "y,,", username: "user", clientNonce: "abc" });
  });

  it("refuses channel binding (flag p) with malformed-request", () => {
    expect(parseClientFirst("p=tls-exporter,,n=user,r=abc")).toEqual({ error: "malformed-request" });
    expect(parseClientFirst("p=tls-unique,a=admin,n=user,r=abc")).toEqual({ error: "malformed-request" });
  });

  it.each([
    ["empty message", ""],
    ["unknown gs2 flag", "x,,n=user,r=abc"],
    ["GS2 non-standard flag", "F,n,,n=user,r=abc"],
    ["missing gs2 header", "n=user,r=abc"],
    ["authzid without a=", "n,z=admin,n=user,r=abc"],
    ["empty authzid", "n,a=,n=user,r=abc"],
    ["mandatory extension m=", "n,,m=ext,n=user,r=abc"],
    ["m= among extensions", "n,,n=user,r=abc,m=ext"],
    ["missing username", "n,,r=abc"],
    ["empty username", "n,,n=,r=abc"],
    ["bad escape =2c (lower case)", "n,,n=us=2cer,r=abc"],
    ["bad escape =41", "n,,n=us=41er,r=abc"],
    ["truncated escape", "n,,n=user=3,r=abc"],
    ["control character in username", "n,,n=us\u0007er,r=abc"],
    ["NUL in message", "n,,n=us\u0000er,r=abc"],
    ["missing nonce", "n,,n=user"],
    ["empty nonce", "n,,n=user,r="],
    ["nonce with a space", "n,,n=user,r=ab c"],
    ["non-ASCII nonce", "n,,n=user,r=ab\u00E9"],
    ["malformed extension", "n,,n=user,r=abc,xyz"],
    ["nonce before username", "n,,r=abc,n=user"],
  ])("refuses %s with malformed-request", (_label, message) => {
    expect(parseClientFirst(message)).toEqual({ error: "malformed-request" });
  });
});

describe("verifyClientFinal syntax", () => {
  async function pendingFor(): Promise<{ pending: ScramPending; good: string }> {
    const { first, pending, serverFirst } = await start("SHA-256", "pencil", "n,,n=user,r=clientnonce");
    const { message } = await clientFinal("SHA-256", "pencil", first.clientFirstBare, "n,,", serverFirst);
    return { pending, good: message };
  }

  it("refuses structurally broken messages with malformed-request", async () => {
    const { pending, good } = await pendingFor();
    const [c, r, p] = good.split(",") as [string, string, string];
    const bad = [
      "",
      `${c},${r}`, // no proof
      `${r},${c},${p}`, // wrong order
      `${c},${p}`, // no nonce
      `${r},${p}`, // no channel binding
      `${c},${r},${p},x=1`, // proof not last
      `${c},${r},m=1,${p}`, // reserved m
      `${c},${r},bogus,${p}`, // not an attribute
      `${c},${r},p=${bytesToBase64(new Uint8Array(20))}`, // SHA-1-sized proof for SHA-256
      `${c},${r}\u0000,${p}`,
    ];
    for (const message of bad) {
      expect(await verifyClientFinal(pending, message), message).toEqual({ ok: false, condition: "malformed-request" });
    }
  });

  it("refuses bad base64 in c= or p= with incorrect-encoding", async () => {
    const { pending, good } = await pendingFor();
    const [c, r, p] = good.split(",") as [string, string, string];
    for (const message of [`c=biw,${r},${p}`, `c=b!ws,${r},${p}`, `${c},${r},p=${p.slice(2, -1)}`, `${c},${r},p=a b`]) {
      expect(await verifyClientFinal(pending, message), message).toEqual({ ok: false, condition: "incorrect-encoding" });
    }
  });

  it("accepts extensions between nonce and proof when the proof covers them", async () => {
    const { first, pending, serverFirst } = await start("SHA-256", "pencil", "n,,n=user,r=clientnonce");
    const sf = parseServerFirst(serverFirst);
    const withoutProof = `c=biws,r=${sf.nonce},x=extra`;
    const { proof, serverSignature } = await clientProof(
      "SHA-256", "pencil", sf.salt, sf.iterations, `${first.clientFirstBare},${serverFirst},${withoutProof}`,
    );
    expect(await verifyClientFinal(pending, `${withoutProof},p=${proof}`)).toEqual({
      ok: true,
      serverFinal: `v=${serverSignature}`,
    });
  });
});

describe("scramHashFor", () => {
  it("maps the offered SCRAM mechanisms and nothing else", () => {
    expect(scramHashFor("SCRAM-SHA-256")).toBe("SHA-256");
    expect(scramHashFor("SCRAM-SHA-1")).toBe("SHA-1");
    expect(scramHashFor("SCRAM-SHA-256-PLUS")).toBeUndefined();
    expect(scramHashFor("PLAIN")).toBeUndefined();
    expect(scramHashFor("toString")).toBeUndefined();
  });
});

// --- PLAIN ----------------------------------------------------------------

describe("parsePlain", () => {
  it("parses authcid and password without authzid", () => {
    expect(parsePlain("\u0000user\u0000pencil")).toEqual({ authcid: "user", password: "pencil" });
  });

  it("parses an authzid", () => {
    expect(parsePlain("admin@example.com\u0000user\u0000pencil")).toEqual({
      authzid: "admin@example.com",
      authcid: "user",
      password: "pencil",
    });
  });

  it("keeps the password as sent (spaces, '=' and ',' are ordinary)", () => {
    expect(parsePlain("\u0000user\u0000 a=b, c ")).toEqual({ authcid: "user", password: " a=b, c " });
  });

  it("NFC-normalises identities", () => {
    expect(parsePlain("Cafe\u0301\u0000Cafe\u0301\u0000x")).toEqual({ authzid: "Caf\u00E9", authcid: "Caf\u00E9", password: "x" });
  });

  it.each([
    ["empty authcid", "\u0000\u0000pencil"],
    ["empty password", "\u0000user\u0000"],
    ["only one NUL", "user\u0000pencil"],
    ["no NUL", "userpencil"],
    ["three NULs", "\u0000user\u0000pen\u0000cil"],
    ["empty message", ""],
    ["control character in authcid", "\u0000us\u0007er\u0000pencil"],
  ])("refuses %s with malformed-request", (_label, message) => {
    expect(parsePlain(message)).toEqual({ error: "malformed-request" });
  });

  it("goes end to end from the base64 payload to verifyPassword", async () => {
    const creds = await deriveCredentials("pencil");
    const text = base64ToUtf8(utf8ToBase64("\u0000user\u0000pencil"));
    expect(text).toBe("\u0000user\u0000pencil");
    const parsed = parsePlain(text!);
    if ("error" in parsed) throw new Error(parsed.error);
    expect(await verifyPassword(creds, parsed.password)).toBe(true);
  });
});

// --- Credentials ----------------------------------------------------------

describe("credentials", () => {
  it("keeps the default iteration count within Cloudflare's PBKDF2 limit", () => {
    expect(DEFAULT_ITERATIONS).toBe(4096);
    expect(MAX_ITERATIONS).toBe(100_000);
  });

  it("deriveCredentials uses a fresh 16-byte salt per hash and per call", async () => {
    const a = await deriveCredentials("pencil");
    const b = await deriveCredentials("pencil");
    const salts = [a.sha1.salt, a.sha256.salt, b.sha1.salt, b.sha256.salt];
    expect(new Set(salts).size).toBe(4);
    for (const s of salts) expect(base64ToBytes(s)!.length).toBe(16);
    expect(a.sha256.storedKey).not.toBe(b.sha256.storedKey);
    expect(a.sha1.iterations).toBe(4096);
    expect(a.sha256.iterations).toBe(4096);
    expect(base64ToBytes(a.sha1.storedKey)!.length).toBe(20);
    expect(base64ToBytes(a.sha1.serverKey)!.length).toBe(20);
    expect(base64ToBytes(a.sha256.storedKey)!.length).toBe(32);
    expect(base64ToBytes(a.sha256.serverKey)!.length).toBe(32);
    expect(JSON.stringify(a)).not.toContain("pencil");
    expect(credentialFor(a, "SHA-1")).toBe(a.sha1);
    expect(credentialFor(a, "SHA-256")).toBe(a.sha256);
  });

  it("honours an explicit iteration count and refuses out-of-range ones", async () => {
    expect((await deriveCredentials("pencil", 5000)).sha256.iterations).toBe(5000);
    await expect(deriveCredentials("pencil", MAX_ITERATIONS + 1)).rejects.toThrow(RangeError);
    await expect(deriveCredentials("pencil", 0)).rejects.toThrow(RangeError);
    await expect(deriveCredentials("pencil", 4096.5)).rejects.toThrow(RangeError);
  });

  it("stored SHA-1 credentials work for a SCRAM-SHA-1 exchange", async () => {
    const creds = await deriveCredentials("pencil");
    const first = mustParse("n,,n=user,r=xyz");
    const { pending, message: serverFirst } = serverFirstMessage("SHA-1", first, creds.sha1);
    const { message, serverSignature } = await clientFinal("SHA-1", "pencil", first.clientFirstBare, "n,,", serverFirst);
    expect(await verifyClientFinal(pending, message)).toEqual({ ok: true, serverFinal: serverSignature });
  });

  it("verifyPassword accepts the password and refuses others", async () => {
    const creds = await deriveCredentials("pencil");
    expect(await verifyPassword(creds, "pencil")).toBe(true);
    expect(await verifyPassword(creds, "Pencil")).toBe(false);
    expect(await verifyPassword(creds, "pencil ")).toBe(false);
    expect(await verifyPassword(creds, "")).toBe(false);
  });

  it("prepares passwords per RFC 4013 §3 examples (mapping and NFKC)", async () => {
    expect(saslPrepLite("I\u00ADX")).toBe("IX");
    expect(saslPrepLite("user")).toBe("user");
    expect(saslPrepLite("USER")).toBe("USER");
    expect(saslPrepLite("\u00AA")).toBe("a");
    expect(saslPrepLite("\u2168")).toBe("IX");
    expect(saslPrepLite("a\u3000b")).toBe("a b");
    const creds = await deriveCredentials("IX");
    expect(await verifyPassword(creds, "I\u00ADX")).toBe(true);
    expect(await verifyPassword(creds, "\u2168")).toBe(true);
  });

  it("fakeCredential is deterministic per (hash, user, secret) and well-formed", async () => {
    const a = await fakeCredential("SHA-256", "nobody", "server-secret");
    const b = await fakeCredential("SHA-256", "nobody", "server-secret");
    expect(a).toEqual(b);
    expect(a.iterations).toBe(DEFAULT_ITERATIONS);
    expect(base64ToBytes(a.salt)!.length).toBe(16);
    expect(base64ToBytes(a.storedKey)!.length).toBe(32);
    const sha1 = await fakeCredential("SHA-1", "nobody", "server-secret");
    expect(base64ToBytes(sha1.storedKey)!.length).toBe(20);
    const others = [
      sha1,
      await fakeCredential("SHA-256", "somebody", "server-secret"),
      await fakeCredential("SHA-256", "nobody", "other-secret"),
    ];
    for (const o of others) expect(o.salt).not.toBe(a.salt);
    await expect(fakeCredential("SHA-256", "nobody", "")).rejects.toThrow();
  });

  it("a fake credential looks like a real one in server-first", async () => {
    const fake = await fakeCredential("SHA-256", "nobody", "server-secret");
    const { message, pending } = serverFirstMessage("SHA-256", mustParse("n,,n=nobody,r=abc"), fake);
    expect(message).toMatch(/^r=abc[A-Za-z0-9+/]{24},s=[A-Za-z0-9+/]{22}==,i=4096$/);
    expect(pending.fake).toBe(true);
  });

  it("a fake credential never verifies, even with a proof that would otherwise be valid", async () => {
    const fake = await fakeCredential("SHA-256", "nobody", "server-secret");
    const first = mustParse("n,,n=nobody,r=abc");
    const { pending, message: serverFirst } = serverFirstMessage("SHA-256", first, fake);
    const { message } = await clientFinal("SHA-256", "pencil", first.clientFirstBare, "n,,", serverFirst);
    expect(await verifyClientFinal(pending, message)).toEqual({ ok: false, condition: "not-authorized" });

    // The fake flag alone forces failure: mark a real credential as fake and
    // run an exchange that is otherwise correct.
    const real = await deriveCredential("SHA-256", "pencil", new Uint8Array(16).fill(1), 4096);
    const marked: ScramCredential = { ...real, fake: true };
    const ex = serverFirstMessage("SHA-256", first, marked);
    const final = await clientFinal("SHA-256", "pencil", first.clientFirstBare, "n,,", ex.message);
    expect(await verifyClientFinal(ex.pending, final.message)).toEqual({ ok: false, condition: "not-authorized" });
    const unmarked = serverFirstMessage("SHA-256", first, real);
    const final2 = await clientFinal("SHA-256", "pencil", first.clientFirstBare, "n,,", unmarked.message);
    expect((await verifyClientFinal(unmarked.pending, final2.message)).ok).toBe(true);

    expect(await verifyPassword({ sha1: real, sha256: { ...real, fake: true } }, "pencil")).toBe(false);
    expect(await verifyPassword(await fakeCredentials("nobody", "server-secret"), "pencil")).toBe(false);
  });
});

// --- Encoding -------------------------------------------------------------

describe("encoding", () => {
  it("round-trips UTF-8 text through base64", () => {
    expect(utf8ToBase64("n,,")).toBe("biws");
    expect(utf8ToBase64("\u00E9\u20AC")).toBe("w6nigqw=");
    expect(base64ToUtf8("w6nigqw=")).toBe("\u00E9\u20AC");
    expect(base64ToUtf8("biws")).toBe("n,,");
  });

  it("treats '=' alone as an empty response (RFC 6120 §6.4.2)", () => {
    expect(base64ToUtf8("=")).toBe("");
    expect(base64ToBytes("=")).toEqual(new Uint8Array(0));
  });

  it("encodes and decodes bytes", () => {
    const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
    expect(bytesToBase64(bytes)).toBe("AAEC/f7/");
    expect(base64ToBytes("AAEC/f7/")).toEqual(bytes);
    const big = new Uint8Array(70_000).map((_, i) => i & 0xff);
    expect(base64ToBytes(bytesToBase64(big))).toEqual(big);
  });

  it.each([
    ["missing padding", "YQ"],
    ["bad length", "abc"],
    ["invalid character", "ab!d"],
    ["URL-safe alphabet", "-_-_"],
    ["embedded newline", "YWJj\nZGVm"],
    ["surrounding space", " YQ=="],
    ["too much padding", "YQ==="],
    ["padding in the middle", "YQ==YQ=="],
    ["double equals", "=="],
  ])("returns null for %s", (_label, b64) => {
    expect(base64ToBytes(b64)).toBeNull();
    expect(base64ToUtf8(b64)).toBeNull();
  });

  it("compares in constant time with the runtime's timingSafeEqual", () => {
    expect(typeof crypto.subtle.timingSafeEqual).toBe("function");
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2]))).toBe(false);
  });

  it("returns null for base64 of invalid UTF-8", () => {
    expect(base64ToBytes("/w==")).toEqual(new Uint8Array([0xff]));
    expect(base64ToUtf8("/w==")).toBeNull();
  });
});
