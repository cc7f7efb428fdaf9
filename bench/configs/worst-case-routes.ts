// The worst-case route table of `gatehouse-node-100routes`, for any size N (growth rows use
// BENCH_ROUTES=1…10000). The request the bench sends, GET /api/v<N>/hello with Host 127.0.0.1,
// is made to pass every other route first (see core/routing/route-table.ts for the lookup order):
//   30% of the routes  exact hosts   svcNNN.bench.test      -> a Map miss for Host 127.0.0.1
//   20%                wildcards     *.tenantNNN.bench.test -> a Map miss too
//   the rest           host-less     /api/vNNN/*            -> one pattern each, all of the same
//                      specificity (numbers padded to one width), so they are tried in config
//                      order and route N (the one the request matches) comes after all others.
// Every route but the last leads to `decoyPool`, whose upstream does not listen: a routing mistake
// shows as errors in the table, never as a plausible number. N=100 gives exactly the 100-route table.
// Note: since core/routing/pattern-index.ts indexes patterns by their segments (literal and param
// branches), the decoys /api/vNNN/* sit on other branches than /api/v<N>/hello and are no longer
// tested one by one; the table is then "N routes of this shape", the worst case of the plain scan
// it replaced. (Only many patterns with the same segments, told apart by methods or headers, still
// share one node and are tried in turn.)
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i)

export function worstCaseRoutes(n: number, pool: string, decoyPool: string) {
  const width = String(n).length
  const pad = (i: number) => String(i).padStart(width, '0')
  const exact = Math.floor(n * 0.3)
  const wild = Math.floor(n * 0.2)
  return [
    ...range(1, exact).map((i) => ({ host: `svc${pad(i)}.bench.test`, path: '/*', pool: decoyPool })),
    ...range(exact + 1, exact + wild).map((i) => ({ host: `*.tenant${pad(i)}.bench.test`, path: '/api/*', pool: decoyPool })),
    ...range(exact + wild + 1, n - 1).map((i) => ({ path: `/api/v${pad(i)}/*`, pool: decoyPool })),
    { path: `/api/v${n}/*`, pool },
  ]
}

/** The pool the decoy routes lead to: nothing listens on its port, so any hit there is a 502. */
export const decoyPoolConfig = { upstreams: ['http://127.0.0.1:18099'], retries: 0 }
