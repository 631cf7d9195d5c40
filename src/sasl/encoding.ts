// Base64 and UTF-8 helpers for SASL payloads.
//
// References:
// - RFC 6120 §6.4.2 (https://www.rfc-editor.org/rfc/rfc6120#section-6.4.2):
//   SASL data is base64 per RFC 4648 §4; a zero-length response is sent as "=".
// - RFC 6120 §6.5.2 (incorrect-encoding): data that does not adhere to
//   RFC 4648 §4 must be refused.
// - RFC 4648 §4 (https://www.rfc-editor.org/rfc/rfc4648#section-4): the
//   standard alphabet, "=" padding, no line breaks or other characters.

// Canonical RFC 4648 §4 base64: groups of four, optional padded last group.
// Anything else (whitespace, missing padding, URL-safe alphabet) is refused.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const utf8Encoder = new TextEncoder();
// fatal: invalid UTF-8 is an error rather than silently becoming U+FFFD.
// ignoreBOM: keep a leading U+FEFF, so text re-encodes to the exact bytes the
// client sent (SCRAM signs the messages byte for byte).
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Encodes bytes as canonical base64 (RFC 4648 §4). */
export function bytesToBase64(b: Uint8Array): string {
  let binary = "";
  // Chunk to keep String.fromCharCode's argument list small.
  for (let i = 0; i < b.length; i += 0x8000) {
    binary += String.fromCharCode(...b.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Decodes strict base64; null when the text is not canonical RFC 4648 §4
 * base64. "=" alone (RFC 6120 §6.4.2) and "" both decode to zero bytes.
 */
export function base64ToBytes(b64: string): Uint8Array | null {
  if (b64 === "=") return new Uint8Array(0);
  if (!BASE64.test(b64)) return null;
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * Decodes base64 carrying UTF-8 text. null when the base64 is invalid, or when
 * the bytes are not well-formed UTF-8 (both are "incorrect-encoding").
 */
export function base64ToUtf8(b64: string): string | null {
  const bytes = base64ToBytes(b64);
  if (bytes === null) return null;
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return null;
  }
}

/** Encodes text as UTF-8 then base64. */
export function utf8ToBase64(s: string): string {
  return bytesToBase64(utf8Encoder.encode(s));
}

/** UTF-8 bytes of a string. */
export function utf8Bytes(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}
