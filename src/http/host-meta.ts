// XEP-0156 §3: discovering the WebSocket endpoint through host-meta (RFC 6415).
export function webSocketUrl(requestUrl: string): string {
  const url = new URL(requestUrl);
  const scheme = url.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${url.host}/xmpp-websocket`;
}

export function hostMetaXml(requestUrl: string): string {
  const href = webSocketUrl(requestUrl).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  return `<?xml version="1.0" encoding="utf-8"?>\n<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n  <Link rel="urn:xmpp:alt-connections:websocket" href="${href}"/>\n</XRD>\n`;
}

export function hostMetaJson(requestUrl: string): { links: { rel: string; href: string }[] } {
  return { links: [{ rel: "urn:xmpp:alt-connections:websocket", href: webSocketUrl(requestUrl) }] };
}
