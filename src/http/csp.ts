// Content Security Policy and the other security headers of the two HTML pages. Both pages
// load scripts and styles from this origin only and never inline script.
export interface PageHeaders {
  [name: string]: string;
}

function headers(csp: string[]): PageHeaders {
  return {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": csp.join("; "),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
  };
}

/** The WebSocket origin matching the page's own (ws: after http:, wss: after https:). */
function socketOrigin(pageUrl: string): string {
  const u = new URL(pageUrl);
  return `${u.protocol === "https:" ? "wss:" : "ws:"}//${u.host}`;
}

/**
 * Converse.js: its WebSocket to this origin; WebAssembly compilation for OMEMO; inline style
 * attributes (its Lit templates set them); images and media from data:/blob: (avatars,
 * uploads). Nothing from other origins: a link someone shares is not fetched by the page.
 */
export function clientPageHeaders(pageUrl: string): PageHeaders {
  return headers([
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ${socketOrigin(pageUrl)}`,
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ]);
}

/** The console: only its own script and style, and fetches to this origin's admin API. */
export function consolePageHeaders(): PageHeaders {
  return headers([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ]);
}
