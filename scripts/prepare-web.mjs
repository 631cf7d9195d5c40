#!/usr/bin/env node
// Copies Converse.js's prebuilt files from node_modules into public/converse/, the Workers
// static assets directory ([assets] in wrangler.toml) that GET / loads them from. Run by
// npm's postinstall, prestart and pretest, so `npm ci && npm start` is all it takes.
// Source maps and the unminified bundle stay behind (they are 10 MB Converse never loads).
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkgDir = join(root, "node_modules/converse.js");
const dist = join(pkgDir, "dist");
const target = join(root, "public/converse");
const stampFile = join(target, ".version");

if (!existsSync(dist)) {
  console.warn("prepare-web: node_modules/converse.js is missing (run npm ci); GET / will have no client files");
  process.exit(0);
}
const version = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version;
if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === version) process.exit(0);

const SKIPPED = new Set(["converse.js", "converse.css", "website.css", "website.min.css"]);
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
cpSync(dist, target, {
  recursive: true,
  filter: (src) => !src.endsWith(".map") && !SKIPPED.has(basename(src)),
});
// The OMEMO library asks for its WebAssembly next to the page, not under assets_path.
cpSync(join(dist, "curve25519_compiled.wasm"), join(root, "public/curve25519_compiled.wasm"));
writeFileSync(stampFile, version);
console.log(`prepare-web: Converse.js ${version} copied to public/converse/`);
