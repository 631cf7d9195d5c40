// A tiny static HTTP server for the browser end-to-end test: serves index.html (which
// starts Converse.js) and the prebuilt Converse bundle from node_modules, on 127.0.0.1
// only. Nothing is fetched from anywhere else: Converse loads its chunks, CSS, emoji
// data and fonts from `assets_path`, which index.html points at /dist/ here.
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const INDEX = join(HERE, "index.html");
const DIST = join(HERE, "../../../node_modules/converse.js/dist");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".ttf": "font/ttf",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".mp3": "audio/mpeg",
  ".ogg": "audio/ogg",
};

export interface StaticServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Every path requested that was not found (a Converse asset we do not serve). */
  missing: string[];
  close(): Promise<void>;
}

/** Maps a request path to a file: `/` → index.html, `/dist/...` → the Converse bundle. */
function resolvePath(pathname: string): string | undefined {
  if (pathname === "/" || pathname === "/index.html") return INDEX;
  // The OMEMO library asks for its WebAssembly relative to the page, not to assets_path.
  if (pathname === "/curve25519_compiled.wasm") return join(DIST, "curve25519_compiled.wasm");
  if (!pathname.startsWith("/dist/")) return undefined;
  const file = normalize(join(DIST, decodeURIComponent(pathname.slice("/dist/".length))));
  // No escaping the bundle directory with ../
  return file.startsWith(DIST + sep) ? file : undefined;
}

/** Starts the server on a free 127.0.0.1 port. */
export async function serveConverse(): Promise<StaticServer> {
  const missing: string[] = [];
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const file = resolvePath(pathname);
    let size = -1;
    try {
      if (file && statSync(file).isFile()) size = statSync(file).size;
    } catch {
      // not there
    }
    if (!file || size < 0 || req.method !== "GET") {
      missing.push(pathname);
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, {
      "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
      "Content-Length": String(size),
      "Cache-Control": "no-store",
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => ok());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    missing,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
