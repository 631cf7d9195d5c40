// Starts Converse.js for this gateway (GET / in src/http/web-client.ts): the WebSocket on
// the page's own origin (wss: after https:, ws: after http:), the first configured host as
// the default domain, login with JID (or bare name) and password. Everything Converse
// loads (chunks, locales, emoji, fonts, sounds) comes from /converse/ on this origin.
import converse from "/converse/converse.min.js";

const settings = JSON.parse(document.getElementById("xmpp-edge-settings").textContent);
const scheme = location.protocol === "https:" ? "wss:" : "ws:";

converse.initialize({
  authentication: "login",
  websocket_url: `${scheme}//${location.host}/xmpp-websocket`,
  // The URL above is authoritative: no XEP-0156 lookup.
  discover_connection_methods: false,
  default_domain: settings.default_domain,
  allow_registration: settings.registration,
  registration_domain: settings.registration ? settings.default_domain : "",
  view_mode: "fullscreen",
  assets_path: "/converse/",
  auto_reconnect: true,
  // Nothing from third parties: no provider lists, no remote previews.
  autocomplete_providers_url: "",
  xmpp_providers_url: "",
  render_media: false,
  embed_3rd_party_media_players: false,
});
