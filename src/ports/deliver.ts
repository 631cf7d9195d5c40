// Writing to a connection that may be gone: an RPC that fails (the object was reset,
// the socket closed meanwhile) counts as "not delivered", never as an error.
import type { ConnectionPort } from "./ports";

export async function tryDeliver(connection: ConnectionPort, stanza: string): Promise<boolean> {
  try {
    return await connection.deliver(stanza);
  } catch {
    return false;
  }
}
