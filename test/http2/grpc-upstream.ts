// A real @grpc/grpc-js server (h2c) for the gRPC tests: it names itself in every answer, and
// `text: "fail"` answers NOT_FOUND with a message and binary metadata in the trailers.
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'

const definition = protoLoader.loadSync(join(import.meta.dirname, 'echo.proto'), { keepCase: true, defaults: true })
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const echoPackage = (grpc.loadPackageDefinition(definition) as any).gatehouse.test

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
  close(): Promise<void>
}

export async function startGrpcUpstream(name: string): Promise<GrpcUpstream> {
  const server = new grpc.Server()
  const state: GrpcUpstream = { name, port: 0, calls: {}, cancelled: 0, close: async () => void server.forceShutdown() }
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
  state.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  )
  return state
}

/** An Echo client on one channel (one HTTP/2 connection) to `address` (host:port), cleartext; `authority` sets :authority (host routes). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function echoClient(address: string, authority?: string): any {
  return new echoPackage.Echo(address, grpc.credentials.createInsecure(), authority ? { 'grpc.default_authority': authority } : {})
}
