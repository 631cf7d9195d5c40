// XEP-0198 and XEP-0352 on a client stream: what the stream does with their nonzas,
// with a <resume/> before bind, with the count of handled stanzas, and when the
// stream goes away. The connection object supplies its stores and its one writer of
// stanzas (`write`: counted, kept and CSI-filtered; see durable-objects/session.ts).
import type { Connection } from "../stream/connection";
import type { ClientState } from "../stream/client-state";
import type { Element } from "../xml/stanza";
import type { SmStore } from "./session-store";
import { CSI_OWNER, type SmSide } from "./sm-side";
import type { SmEnding } from "./handover";
import { NS_SM } from "./namespace";
import { NS_CSI } from "../csi/csi";
import { onSmNonza } from "./stream-glue";
import { onCsiNonza } from "../csi/csi-glue";
import { failed, handledCountTooHigh, resumed } from "./protocol";
import { rerouteHeld } from "./reroute";

type Conn = Connection<ClientState>;

/** Whether `el` is a nonza of XEP-0198 or XEP-0352 (handled here, never as a stanza). */
export function isSmOrCsiNonza(el: Element): boolean {
  return el.attrs.xmlns === NS_SM || el.attrs.xmlns === NS_CSI;
}

/** An SM or CSI nonza on a stream in the bind or bound phase. */
export async function onNonza(conn: Conn, side: SmSide, el: Element): Promise<void> {
  const state = conn.state;
  if (state.phase !== "bind" && state.phase !== "bound") return;
  if (el.attrs.xmlns === NS_CSI) {
    // XEP-0352: accepted at any time after bind, never answered (CONTRACT.md); before bind ignored.
    if (state.phase !== "bound") return;
    if (!state.csi) {
      // Saved before the state is: the connection then filters what it writes to the client.
      conn.state = { ...state, csi: true };
      conn.save();
    }
    for (const raw of onCsiNonza(side.csi, CSI_OWNER, el) ?? []) await side.write(raw);
    return;
  }
  const view = {
    account: state.bare,
    resource: state.phase === "bound" ? state.resource : null,
    connection: conn.sessionId,
    smId: state.phase === "bound" ? (state.smId ?? null) : null,
  };
  const action = onSmNonza(side.store, view, el, side.cfg, Date.now());
  switch (action.kind) {
    case "none":
      if (action.acked) side.acked(action.acked.h, action.acked.sent);
      return;
    case "close":
      side.writeRaw(action.error);
      return conn.close();
    case "reply":
      if (action.enabled && state.phase === "bound") {
        conn.state = { ...state, smId: action.enabled.id };
        conn.save();
        // Registered before <enabled/> goes out, so that a <resume/> right after finds it.
        if (action.enabled.resumable) await conn.services.ports.account(state.bare).smRegister(action.enabled.id, state.resource, conn.sessionId);
      }
      side.writeRaw(action.reply);
      return;
    case "resume":
      if (state.phase === "bind") return resume(conn, side, state, action.previd, action.h);
  }
}

/**
 * §5 on the new connection: keep what arrives for the session meanwhile under its id,
 * ask the account to move it here, then write <resumed/> and, in order, every stanza
 * the client had not acknowledged and every stanza kept since.
 */
async function resume(conn: Conn, side: SmSide, state: Extract<ClientState, { phase: "bind" }>, previd: string, h: number): Promise<void> {
  side.store.discard(previd);
  side.store.create(
    { account: state.bare, resource: "", connection: conn.sessionId, resumable: true, resumeWindow: side.cfg.resumeWindow, maxQueue: Number.MAX_SAFE_INTEGER },
    previd,
  );
  conn.state = { ...state, resuming: previd };
  conn.save();
  let answer;
  try {
    answer = await conn.services.ports.account(state.bare).smResume(previd, h, conn.sessionId);
  } catch (e) {
    console.error("resumption failed", String(e));
    answer = { kind: "failed" as const };
  }
  if (answer.kind !== "resumed") {
    side.store.discard(previd);
    conn.state = { ...state, resuming: undefined };
    conn.save();
    if (answer.kind === "too-high") {
      side.writeRaw(handledCountTooHigh(answer.h, answer.sendCount));
      return conn.close();
    }
    side.writeRaw(failed("item-not-found", answer.h));
    return;
  }
  const s = side.store.importSession(answer.snapshot, conn.sessionId);
  for (const raw of answer.pending) side.store.enqueue(s.id, raw, Date.now(), true);
  const resource = s.resource;
  // The account's record of availability comes along, so contacts' presences can come
  // straight here again (src/im/presence-straight.ts).
  conn.state = { kind: "client", phase: "bound", host: state.host, bare: state.bare, resource, full: `${state.bare}/${resource}`, streamId: state.streamId, smId: s.id, available: answer.available };
  conn.save();
  side.writeRaw(resumed(previd, s.handledIn));
  // Already counted (imported): written as they are, oldest first.
  for (const raw of side.store.queue(s.id)) side.writeRaw(raw);
}

/** §4: a stanza from the client was handled (routed or stored): count it. */
export function countHandled(conn: Conn, side: SmSide): void {
  const state = conn.state;
  if (state.phase === "bound" && state.smId) side.store.handled(state.smId);
}

/**
 * The stream is over. `lost`: the socket went without a closing handshake, so a
 * resumable session waits for its client (true: the resource stays). Otherwise, or
 * when the session is not resumable, it ends and what it held is handed to the account.
 */
export async function onStreamEnd(conn: Conn, side: SmSide, state: Extract<ClientState, { phase: "bound" }>, lost: boolean): Promise<boolean> {
  if (!state.smId) return false;
  const s = side.store.get(state.smId);
  if (!s) return false;
  const now = Date.now();
  // Presence held back for an inactive client joins the queue: nothing is lost.
  for (const raw of side.csi.forget(CSI_OWNER)) side.store.enqueue(s.id, raw, now, false);
  if (lost && s.resumable) {
    const expiry = side.store.detach(s.id, now);
    if (expiry !== null) await side.scheduleAlarm(expiry);
    return true;
  }
  await endSession(conn.services.ports.account(state.bare), side.store, s.id, conn.sessionId, false, []);
  return true;
}

/**
 * Ends session `id`: the account gets what it held (read first, deleted after: a crash
 * in between delivers twice rather than never; docs/stream-management.md §4.6). `extra`: a stanza refused
 * by a full queue, delivered after the rest.
 */
export async function endSession(
  account: { smEnded(e: SmEnding): Promise<void> },
  store: SmStore,
  id: string,
  connection: string,
  offlineOnly: boolean,
  extra: string[],
): Promise<void> {
  const s = store.get(id);
  if (!s) return;
  const held = [...store.queue(id), ...extra];
  await account.smEnded({ id, resource: s.resource, connection, rerouted: rerouteHeld(held, s.account), offlineOnly });
  store.end(id, Date.now());
}
