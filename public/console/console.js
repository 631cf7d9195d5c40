// The administration console (GET /console). Plain DOM, no framework. The admin token is
// kept in sessionStorage only (gone when the tab closes) and sent only in the
// Authorization header of same-origin fetches to /admin/...; it never enters a URL.
// Every value from the API is put into the page as text (textContent), never as HTML.

const TOKEN_KEY = "xmpp-edge-admin-token";
const main = document.getElementById("main");
const who = document.getElementById("who");

/** Builds an element: el("td", {class: "n"}, "text", child, ...). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function table(headers, rows, attrs = {}) {
  return el("table", attrs, el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))), el("tbody", {}, rows));
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(method, path, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`/admin${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data.error ?? `${res.status} ${res.statusText}`);
  return data;
}

const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");
const jidPath = (jid) => encodeURIComponent(jid);

// ---- sign-in ------------------------------------------------------------------------

function showOff() {
  main.replaceChildren(
    el("section", { id: "api-off" },
      el("h2", {}, "The administration API is off"),
      el("p", {}, "ADMIN_TOKEN is not set on this gateway, so there is nothing to sign in to. Set it (a secret: ",
        el("code", {}, "wrangler secret put ADMIN_TOKEN"), ", or ", el("code", {}, ".dev.vars"), " locally) and reload."),
    ),
  );
}

function showSignIn(message) {
  const input = el("input", { type: "password", name: "token", id: "token", autocomplete: "off", required: true });
  const form = el("form", { id: "sign-in", onsubmit: async (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value);
    await showAll();
  } },
    el("label", { for: "token" }, "Admin token"), input, el("button", { type: "submit" }, "Sign in"),
  );
  main.replaceChildren(el("section", {}, el("h2", {}, "Sign in"), message ? el("p", { class: "error", role: "alert" }, message) : "", form,
    el("p", { class: "hint" }, "The token stays in this tab's session storage and is sent only to this gateway's /admin API.")));
  who.replaceChildren();
  input.focus();
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  showSignIn();
}

// ---- sections -----------------------------------------------------------------------

function overview(status) {
  return el("section", { id: "overview" },
    el("h2", {}, "Gateway"),
    el("p", {}, "Configuration: ", el("strong", { class: "ok", id: "config-state" }, status.config),
      " · web client: ", status.web_client ? "on" : "off"),
    table(["host", "accounts", "registration"], status.hosts.map((h) =>
      el("tr", { "data-host": h.domain }, el("td", {}, h.domain), el("td", { class: "n" }, h.accounts), el("td", {}, h.registration ? "open" : "closed")))),
  );
}

function accountsSection(hosts) {
  const section = el("section", { id: "accounts" }, el("h2", {}, "Accounts"));
  const hostSelect = el("select", { name: "host" }, hosts.map((h) => el("option", { value: h }, h)));
  const list = el("div", { class: "account-list" });
  const message = el("p", { class: "message", role: "status" });
  let after = "";
  const history = [];

  async function load() {
    const host = hostSelect.value;
    const page = await api("GET", `/hosts/${encodeURIComponent(host)}/users?limit=20&after=${encodeURIComponent(after)}`);
    const rows = page.accounts.map((jid) => {
      const pw = el("input", { type: "password", name: "new-password", placeholder: "new password", autocomplete: "new-password" });
      return el("tr", { "data-jid": jid },
        el("td", {}, jid),
        el("td", {},
          el("form", { class: "inline reset", onsubmit: async (e) => {
            e.preventDefault();
            await act(async () => { await api("PUT", `/users/${jidPath(jid)}`, { password: pw.value }); pw.value = ""; }, `password of ${jid} changed`);
          } }, pw, el("button", { type: "submit" }, "Reset password")),
          el("button", { class: "danger", onclick: async () => {
            if (!confirm(`Delete ${jid}? Its sessions are closed and its data removed.`)) return;
            await act(() => api("DELETE", `/users/${jidPath(jid)}`), `${jid} deleted`);
          } }, "Delete"),
        ));
    });
    list.replaceChildren(
      el("p", {}, `${page.total} account${page.total === 1 ? "" : "s"} on ${host}`),
      table(["account", ""], rows),
      el("p", { class: "pager" },
        el("button", { disabled: history.length === 0, onclick: () => { after = history.pop() ?? ""; run(load); } }, "Previous"),
        el("button", { disabled: page.next === null, onclick: () => { history.push(after); after = page.next; run(load); } }, "Next"),
      ),
    );
  }

  async function act(fn, done) {
    try {
      await fn();
      await load();
      message.textContent = done;
      message.className = "message ok";
    } catch (e) {
      message.textContent = e.message;
      message.className = "message error";
    }
  }
  const run = (fn) => fn().catch((e) => { message.textContent = e.message; message.className = "message error"; });

  const newJid = el("input", { name: "jid", placeholder: "user@host", autocomplete: "off", required: true });
  const newPw = el("input", { type: "password", name: "password", placeholder: "password", autocomplete: "new-password", required: true });
  const addForm = el("form", { id: "add-account", class: "inline", onsubmit: async (e) => {
    e.preventDefault();
    const jid = newJid.value.trim();
    await act(async () => {
      const r = await api("PUT", `/users/${jidPath(jid)}`, { password: newPw.value });
      newJid.value = "";
      newPw.value = "";
      return r;
    }, `${jid} saved`);
  } }, newJid, newPw, el("button", { type: "submit" }, "Add account"));

  hostSelect.addEventListener("change", () => { after = ""; history.length = 0; run(load); });
  section.append(el("p", {}, el("label", {}, "Host ", hostSelect)), addForm, message, list);
  run(load);
  return section;
}

function sessionsSection(hosts) {
  const section = el("section", { id: "sessions" }, el("h2", {}, "Online"));
  const body = el("div");
  section.append(body);
  (async () => {
    const rows = [];
    for (const host of hosts) {
      // Walks the whole directory, a page at a time (the console is for small deployments).
      let after = "";
      for (let pages = 0; pages < 20; pages++) {
        const page = await api("GET", `/hosts/${encodeURIComponent(host)}/sessions?limit=200&after=${encodeURIComponent(after)}`);
        for (const s of page.sessions) {
          rows.push(el("tr", { "data-jid": s.jid }, el("td", {}, s.jid),
            el("td", {}, s.resources.map((r) => el("span", { class: r.available ? "res available" : "res" }, `${r.resource}${r.available ? "" : " (not available)"}`)))));
        }
        if (page.next === null) break;
        after = page.next;
      }
    }
    body.replaceChildren(rows.length ? table(["account", "resources"], rows) : el("p", {}, "Nobody is online."));
  })().catch((e) => body.replaceChildren(el("p", { class: "error" }, e.message)));
  return section;
}

function componentsSection(components) {
  return el("section", { id: "components" }, el("h2", {}, "Components"),
    components.length === 0 ? el("p", {}, "No components are configured.") :
    table(["component", "state", "since", "secret"], components.map((c) =>
      el("tr", { "data-jid": c.jid },
        el("td", {}, c.jid),
        el("td", { class: c.connected ? "ok state" : "off state" }, c.connected ? "connected" : "not connected"),
        el("td", {}, when(c.since)),
        el("td", {}, c.has_secret ? "configured" : "missing"))),
    ));
}

function grantText(g) {
  const parts = [`roster: ${g.roster}${g.push || g.roster === "none" ? "" : " (no push)"}`, `message: ${g.message}`, `presence: ${g.presence}`];
  for (const [ns, access] of Object.entries(g.iq)) parts.push(`iq ${ns}: ${access}`);
  return parts;
}

function privilegesSection(report) {
  const rows = [];
  for (const [host, grants] of Object.entries(report.hosts)) {
    for (const [entity, g] of Object.entries(grants)) {
      const counts = report.counts[entity] ?? {};
      const keys = Object.keys(counts);
      rows.push(el("tr", { "data-entity": entity },
        el("td", {}, entity), el("td", {}, host),
        el("td", {}, el("ul", {}, grantText(g).map((t) => el("li", {}, t)))),
        el("td", { class: "counts" }, keys.length === 0 ? "none yet" :
          el("ul", {}, keys.map((k) => el("li", { "data-key": k }, `${k}: `, el("span", { class: "n" }, counts[k]))))),
        el("td", { class: "last" }, lastActions(report.last?.[entity] ?? [])),
      ));
    }
  }
  return el("section", { id: "privileges" }, el("h2", {}, "XEP-0356 privileges"),
    rows.length ? table(["entity", "host", "grant", "actions (count)", "last actions"], rows) : el("p", {}, "No privileged entities are configured."));
}

function lastActions(entries) {
  if (entries.length === 0) return "none yet";
  return el("ol", {}, entries.slice(-5).reverse().map((e) =>
    el("li", {}, `${e.at.slice(11, 19)} ${e.access} ${e.action} → ${e.outcome}${e.user ? ` for ${e.user}` : ""}${e.detail ? ` (${e.detail})` : ""}`)));
}

function delegationsSection(report) {
  const rows = [];
  for (const [host, list] of Object.entries(report.hosts)) {
    for (const d of list) {
      rows.push(el("tr", { "data-namespace": d.namespace },
        el("td", {}, host), el("td", {}, d.namespace), el("td", {}, d.component),
        el("td", {}, d.filtering.join(", ") || "—"),
        el("td", { class: d.connected ? "ok" : "off" }, d.connected ? "connected" : "not connected"),
        el("td", { class: "n" }, d.counts.forwarded), el("td", { class: "n" }, d.counts.answered),
        el("td", { class: "n" }, d.counts.failed), el("td", { class: "n" }, d.counts.timed_out)));
    }
  }
  return el("section", { id: "delegations" }, el("h2", {}, "XEP-0355 delegations"),
    rows.length ? table(["host", "namespace", "component", "filtering", "state", "forwarded", "answered", "failed", "timed out"], rows)
      : el("p", {}, "No delegations are configured."));
}

// ---- the whole page -------------------------------------------------------------------

async function showAll() {
  let status;
  try {
    status = await api("GET", "/status");
  } catch (e) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (e instanceof ApiError && e.status === 401) return showSignIn("That token was refused.");
    if (e instanceof ApiError && e.status === 404) return showOff();
    return showSignIn(e.message);
  }
  const [privileges, delegations] = await Promise.all([api("GET", "/privileges"), api("GET", "/delegations")]);
  const hosts = status.hosts.map((h) => h.domain);
  who.replaceChildren(
    el("button", { id: "refresh", onclick: () => showAll() }, "Refresh"),
    el("button", { id: "sign-out", onclick: signOut }, "Sign out"),
  );
  main.replaceChildren(
    overview(status),
    accountsSection(hosts),
    sessionsSection(hosts),
    componentsSection(status.components),
    privilegesSection(privileges),
    delegationsSection(delegations),
  );
}

async function start() {
  const state = await fetch("/console/admin-api", { cache: "no-store" }).then((r) => r.json()).catch(() => null);
  if (!state) {
    main.replaceChildren(el("p", { class: "error" }, "The gateway did not answer (or its configuration is invalid: see /health)."));
    return;
  }
  if (state.admin_api !== "on") return showOff();
  if (sessionStorage.getItem(TOKEN_KEY)) return showAll();
  showSignIn();
}

start();
