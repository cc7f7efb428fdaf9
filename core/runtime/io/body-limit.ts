/**
 * Per-route body limits (`maxBodySize`). A declared Content-Length over the limit is answered by
 * the core before any upstream is contacted. A body of unknown length (chunked) is counted where
 * its bytes arrive, in the runtime's server, once the route is known: the exchange asks its
 * request (`TransportRequest.limitBody`; node/body-limit.ts, web/body-limit.ts).
 */
export const PAYLOAD_TOO_LARGE = 'gatehouse: request body larger than this route accepts\n'
