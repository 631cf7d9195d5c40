// A token bucket per connection: `rate` stanzas a second on average, bursts up to
// `burst`. Kept in memory: an object that hibernated was idle, so its bucket would
// be full anyway. One connection's flood never touches another's bucket.
export class TokenBucket {
  private tokens: number;
  private last = 0;

  constructor(private readonly rate: number, private readonly burst: number) {
    this.tokens = burst;
  }

  take(now: number): boolean {
    if (this.last) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
