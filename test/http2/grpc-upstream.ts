// A real @grpc/grpc-js server (h2c, or h2 with `tls`) for the gRPC tests: it names itself in every
// answer, and `text: "fail"` answers NOT_FOUND with a message and binary metadata in the trailers.
// With `health`, it also serves grpc.health.v1.Health/Check, whose statuses the test sets.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'

const definition = protoLoader.loadSync(join(import.meta.dirname, 'echo.proto'), { keepCase: true, defaults: true })
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const echoPackage = (grpc.loadPackageDefinition(definition) as any).gatehouse.test

const healthDefinition = protoLoader.loadSync(join(import.meta.dirname, 'health.proto'), { keepCase: true, defaults: true, enums: String })
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const healthPackage = (grpc.loadPackageDefinition(healthDefinition) as any).grpc.health.v1

export type ServingStatus = 'SERVING' | 'NOT_SERVING'

export interface Msg {
  text: string
  count: number
  delay_ms: number
}

export interface GrpcUpstream {
  name: string
  port: number
  /** Calls it received, by method. */
  calls: Record<string, number>
  /** Calls the client (the gateway) cancelled before they were answered. */
  cancelled: number
  /** Health checks it answered, by service asked about ("" is the server as a whole). */
  healthChecks: Record<string, number>
  /** Sets what Health/Check answers for `service` ("" and gatehouse.test.Echo start SERVING; others are unknown: NOT_FOUND). */
  setHealth(service: string, status: ServingStatus): void
  close(): Promise<void>
}

export interface GrpcUpstreamOptions {
  /** Serve grpc.health.v1.Health too. */
  health?: boolean
  /** Serve over TLS (h2 by ALPN) with these PEM files. */
  tls?: { cert: string; key: string }
}

export async function startGrpcUpstream(name: string, opts: GrpcUpstreamOptions = {}): Promise<GrpcUpstream> {
  const server = new grpc.Server()
  const health = new Map<string, ServingStatus>([['', 'SERVING'], ['gatehouse.test.Echo', 'SERVING']])
  const state: GrpcUpstream = {
    name,
    port: 0,
    calls: {},
    cancelled: 0,
    healthChecks: {},
    setHealth: (service, status) => void health.set(service, status),
    close: async () => void server.forceShutdown(),
  }
  const count = (m: string) => void (state.calls[m] = (state.calls[m] ?? 0) + 1)
  const failure = () => {
    const metadata = new grpc.Metadata()
    metadata.set('x-detail-bin', Buffer.from([0, 1, 2, 255]))
    return { code: grpc.status.NOT_FOUND, details: `no such thing at ${name}`, metadata }
  }
  server.addService(echoPackage.Echo.service, {
    Unary(call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) {
      count('Unary')
      call.on('cancelled', () => state.cancelled++)
      if (call.request.text === 'fail') return cb(failure())
      setTimeout(() => cb(null, { text: `${name}: ${call.request.text}`, count: 1, delay_ms: 0 }), call.request.delay_ms)
    },
    ServerStream(call: grpc.ServerWritableStream<Msg, Msg>) {
      count('ServerStream')
      call.on('cancelled', () => state.cancelled++)
      let i = 0
      const next = () => {
        if (call.cancelled) return
        if (i === call.request.count) return call.end()
        call.write({ text: `${name}: ${call.request.text} #${i++}`, count: i, delay_ms: 0 })
        setTimeout(next, call.request.delay_ms)
      }
      next()
    },
    ClientStream(call: grpc.ServerReadableStream<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) {
      count('ClientStream')
      const texts: string[] = []
      call.on('data', (m: Msg) => texts.push(m.text))
      call.on('end', () => cb(null, { text: `${name}: ${texts.join(',')}`, count: texts.length, delay_ms: 0 }))
    },
    Bidi(call: grpc.ServerDuplexStream<Msg, Msg>) {
      count('Bidi')
      call.on('data', (m: Msg) => call.write({ text: `${name}: ${m.text}`, count: 0, delay_ms: 0 }))
      call.on('end', () => call.end())
    },
  })
  if (opts.health) {
    server.addService(healthPackage.Health.service, {
      Check(call: grpc.ServerUnaryCall<{ service: string }, { status: string }>, cb: grpc.sendUnaryData<{ status: string }>) {
        const service = call.request.service
        state.healthChecks[service] = (state.healthChecks[service] ?? 0) + 1
        const status = health.get(service)
        if (status === undefined) return cb({ code: grpc.status.NOT_FOUND, details: `unknown service ${service}` })
        cb(null, { status })
      },
    })
  }
  const credentials = opts.tls
    ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: readFileSync(opts.tls.cert), private_key: readFileSync(opts.tls.key) }], false)
    : grpc.ServerCredentials.createInsecure()
  state.port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, port) => (err ? reject(err) : resolve(port))))
  return state
}

/** An Echo client on one channel (one HTTP/2 connection) to `address` (host:port), cleartext; `authority` sets :authority (host routes). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function echoClient(address: string, authority?: string): any {
  return new echoPackage.Echo(address, grpc.credentials.createInsecure(), authority ? { 'grpc.default_authority': authority } : {})
}
