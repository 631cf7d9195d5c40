// GET /console: the administration console, a static page whose script
// (/console/console.js) asks for the admin token and calls the admin API with it.
// GET /console/admin-api tells the page, without a token, whether the API is on at all.
export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>xmpp-edge console</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/console/console.css">
    <script type="module" src="/console/console.js"></script>
  </head>
  <body>
    <header><h1>xmpp-edge console</h1><span id="who"></span></header>
    <main id="main"><p>Loading…</p></main>
    <noscript>The console needs JavaScript.</noscript>
  </body>
</html>
`;

/** The public answer of GET /console/admin-api: on or off, nothing else. */
export function adminApiState(adminToken: string | null): { admin_api: "on" | "off" } {
  return { admin_api: adminToken ? "on" : "off" };
}
