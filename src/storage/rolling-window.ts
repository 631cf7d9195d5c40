// A counter of events in a fixed window that restarts after it passes (auth failures
// per account, per address, registrations per address), kept in an object's KV.
export class RollingWindow {
  constructor(
    private readonly kv: SyncKvStorage,
    private readonly name: string,
  ) {}

  /** Records an event; returns the events in the current window of `windowMs`. */
  hit(windowMs: number, now = Date.now()): number {
    const since = this.kv.get<number>(`${this.name}_since`) ?? 0;
    const count = now - since > windowMs ? 1 : (this.kv.get<number>(`${this.name}_count`) ?? 0) + 1;
    if (count === 1) this.kv.put(`${this.name}_since`, now);
    this.kv.put(`${this.name}_count`, count);
    return count;
  }

  clear(): void {
    if (this.kv.get(`${this.name}_count`) !== undefined) this.kv.delete(`${this.name}_count`);
  }
}
