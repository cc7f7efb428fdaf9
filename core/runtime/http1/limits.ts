/** How much of an upstream's response the HTTP/1.1 parser (parser.ts, chunked.ts) accepts before calling it hostile. */
export interface Http1Limits {
  /** Bytes of one response head (status line + headers), and of a trailer section. */
  maxHeadBytes: number
  /** Lines of one response head, and of a trailer section. */
  maxHeadLines: number
  /** Bytes of one chunk-size line (size and extensions). */
  maxChunkLine: number
  /** Interim (1xx) responses before the final one. */
  maxInterim: number
}

export const DEFAULT_LIMITS: Http1Limits = { maxHeadBytes: 64 * 1024, maxHeadLines: 200, maxChunkLine: 4096, maxInterim: 8 }
