/** Why an exchange failed. The upstream's doing: all but the last two. */
export type FailureKind =
  | 'refused'
  | 'connect-timeout'
  | 'reset'
  | 'first-byte-timeout'
  | 'idle-timeout'
  | 'total-timeout'
  | 'status'
  | 'error'
  /** The request itself was refused before it reached the upstream (a value the runtime's client rejects): 400. */
  | 'bad-request'
  /** The client went away, or its body broke off, before an answer: 499 (nginx's convention). */
  | 'client-closed'
