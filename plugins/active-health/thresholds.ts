/**
 * HAProxy's rise/fall, as a pure state machine: `fall` consecutive failures make a healthy
 * upstream unhealthy, `rise` consecutive successes make an unhealthy one healthy again. One
 * flapping probe never flips the verdict on its own.
 */
export class RiseFall {
  private successes = 0
  private failures = 0

  constructor(
    private readonly rise: number,
    private readonly fall: number,
    public healthy: boolean,
  ) {}

  /** Records one probe result; returns the verdict after it. */
  record(ok: boolean): boolean {
    if (ok) {
      this.failures = 0
      if (!this.healthy && ++this.successes >= this.rise) this.healthy = true
    } else {
      this.successes = 0
      if (this.healthy && ++this.failures >= this.fall) this.healthy = false
    }
    if (this.healthy) this.successes = 0
    else this.failures = 0
    return this.healthy
  }
}
