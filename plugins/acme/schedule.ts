/**
 * When to act: renew at two thirds of a certificate's life (Let's Encrypt's 90 days → day 60,
 * leaving a month of retries), back off after failures, and cap how many orders start per window.
 */
import type { StoredCertificate } from './store.ts'

export function renewalTime(c: Pick<StoredCertificate, 'notBefore' | 'notAfter'>): number {
  const from = Date.parse(c.notBefore)
  return from + ((Date.parse(c.notAfter) - from) * 2) / 3
}

/** Wait after the `failures`-th failure in a row: min, doubling, at most max. */
export function retryDelay(failures: number, { min, max }: { min: number; max: number }): number {
  return Math.min(max, min * 2 ** Math.min(Math.max(0, failures - 1), 30))
}

/** A sliding window of order start times. */
export class OrderRate {
  private starts: number[] = []

  constructor(private readonly max: number, private readonly perMs: number) {}

  /** Counts an order starting now, or returns false when the window is full. */
  take(now = Date.now()): boolean {
    this.starts = this.starts.filter((t) => t > now - this.perMs)
    if (this.starts.length >= this.max) return false
    this.starts.push(now)
    return true
  }

  /** When the next order may start. */
  nextFree(now = Date.now()): number {
    return this.starts.length < this.max ? now : this.starts[0]! + this.perMs
  }
}
