// XEP-0198 §5 / §8 (security): the resumption id must not be guessable, since it is
// what lets a new stream take a session over. 128 random bits, base64url (22 chars).
// It carries nothing about the account: the store binds it to the account's bare JID,
// and a <resume/> from another account reads as an unknown id.
export function newSmId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
