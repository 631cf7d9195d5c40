// GET /: the web client (Converse.js from the package, copied into the static assets by
// scripts/prepare-web.mjs) with a page that configures it for this gateway. The settings
// travel in a non-executable JSON block read by /web/client.js, so the page needs no
// inline script. With XMPP_CONFIG.web_client = false, the page and Converse's files are off.
import type { GatewayConfig } from "../config";

export interface ClientSettings {
  /** Where a bare user name is logged in (the first configured host). */
  default_domain: string;
  /** Whether that host offers in-band registration (XEP-0077). */
  registration: boolean;
}

export function clientSettings(config: GatewayConfig): ClientSettings {
  const first = Object.keys(config.hosts)[0]!;
  return { default_domain: first, registration: config.hosts[first]!.registration };
}

/** JSON safe inside a <script> element: no "</script", no "<!--". */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
}

export function clientPage(config: GatewayConfig): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>xmpp-edge</title>
    <link rel="icon" href="/converse/images/favicon.ico">
    <link rel="stylesheet" href="/converse/converse.min.css">
    <link rel="stylesheet" href="/web/client.css">
    <script type="application/json" id="xmpp-edge-settings">${scriptJson(clientSettings(config))}</script>
    <script type="module" src="/web/client.js"></script>
  </head>
  <body class="converse-fullscreen">
    <noscript>The web client needs JavaScript.</noscript>
  </body>
</html>
`;
}
