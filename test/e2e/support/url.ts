/** ws://host:port/path for an http://host:port base URL. */
export function wsUrl(base: string, path = "/xmpp-websocket"): string {
  return base.replace(/^http/, "ws") + path;
}
