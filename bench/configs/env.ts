// Port and upstreams come from bench/run.sh (BENCH_PORT, BENCH_UPSTREAMS), so the same config
// file works for every runtime target and the harness alone owns the port plan.
// (`process.env` exists on Node, Bun and Deno 2.)
export const benchListen = { host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 18020) }
export const benchUpstreams = (process.env.BENCH_UPSTREAMS ?? 'http://127.0.0.1:18001,http://127.0.0.1:18002').split(',')
