#!/usr/bin/env node
// `npm run bench:parse`: what parseFrame costs per frame, in ns, for a typical chat
// message and a 4 KiB stanza (Node's V8, the engine workerd runs). Bundles the frame
// parser with esbuild first, so it also measures another version of it:
//
//   npm run bench:parse                               src/xml/frame-parser.ts
//   npm run bench:parse -- --source=/tmp/old/frame-parser.ts   (e.g. from `git show REV:src/xml/...`)
//   npm run bench:parse -- --ms=3000                  measuring time per frame kind (default 2000)
import { build } from "esbuild";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const source = resolve(arg("source", join(root, "src/xml/frame-parser.ts")));
const ms = Number(arg("ms", "2000"));

const chat =
  `<message xmlns='jabber:client' to='juliet@capulet.lit/balcony' id='ktx72v49' type='chat' xml:lang='en'>` +
  `<body>Art thou not Romeo, and a Montague?</body><active xmlns='http://jabber.org/protocol/chatstates'/>` +
  `<request xmlns='urn:xmpp:receipts'/><origin-id xmlns='urn:xmpp:sid:0' id='de305d54-75b4-431b-adb2-eb6b9e546013'/></message>`;

function fourKiB() {
  let items = "";
  for (let i = 0; items.length < 2600; i++) {
    items += `<item id='item-${i}' publisher='romeo@montague.lit'><entry xmlns='http://www.w3.org/2005/Atom'>` +
      `<title>Entry ${i} &amp; more</title><id>tag:montague.lit,2026:${i}</id><published>2026-12-05T02:00:00Z</published></entry></item>`;
  }
  const head = `<iq xmlns='jabber:client' type='set' to='pubsub.localhost' id='pub-1'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='princely_musings'>`;
  const tail = `</publish></pubsub></iq>`;
  const pad = 4096 - head.length - tail.length - items.length - "<item><summary></summary></item>".length;
  return head + items + `<item><summary>${"x".repeat(Math.max(0, pad))}</summary></item>` + tail;
}

const dir = mkdtempSync(join(tmpdir(), "frame-bench-"));
try {
  const out = join(dir, "parser.mjs");
  const entry = join(dir, "entry.ts");
  writeFileSync(entry, `export { parseFrame } from ${JSON.stringify(source)};\n`);
  await build({ entryPoints: [entry], bundle: true, format: "esm", platform: "node", outfile: out, nodePaths: [join(root, "node_modules")], logLevel: "error" });
  const { parseFrame } = await import(pathToFileURL(out).href);
  // Frames arrive from the socket as flat strings: flatten ours the same way.
  const flat = (s) => JSON.parse(JSON.stringify(s));
  for (const [name, frame] of [["chat message", flat(chat)], ["4 KiB stanza", flat(fourKiB())]]) {
    const check = parseFrame(frame, 256 * 1024);
    if (!check.ok) throw new Error(`${name} refused: ${check.condition} ${check.text}`);
    for (let i = 0; i < 2000; i++) parseFrame(frame, 256 * 1024); // warm-up
    let n = 0;
    const start = process.hrtime.bigint();
    const until = start + BigInt(ms) * 1_000_000n;
    let now = start;
    while (now < until) {
      for (let i = 0; i < 100; i++) parseFrame(frame, 256 * 1024);
      n += 100;
      now = process.hrtime.bigint();
    }
    const ns = Number(now - start) / n;
    console.log(`${name.padEnd(13)} ${String(new TextEncoder().encode(frame).length).padStart(5)} bytes  ${Math.round(ns).toLocaleString("en").padStart(8)} ns/frame  (${n} frames)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
