/**
 * Compression on Node: the transport pipes the upstream body through a node:zlib stream into the
 * raw response (see ./transport.ts). Each upstream chunk is flushed as it is compressed, so event
 * streams and slow streaming responses reach the client as they come. Levels for on-the-fly use:
 * gzip/deflate 6 (zlib's default), brotli 4 (11, its default, costs ~20× the CPU), zstd 3 with a
 * 128 KiB window (its default window, 2 MB and more per response, made zstd ~3× slower than gzip).
 */
import zlib from 'node:zlib'
import type { Transform } from 'node:stream'
import type { ContentEncoding, RuntimeCompression } from '../types.ts'

type ZstdZlib = typeof zlib & { createZstdCompress?: (o: object) => Transform; constants: { ZSTD_e_flush?: number; ZSTD_c_compressionLevel?: number; ZSTD_c_windowLog?: number } }
const z = zlib as ZstdZlib

export const nodeCompression: RuntimeCompression = {
  // zstd from Node 22.15 / 23.8 on.
  encodings: [...(z.createZstdCompress ? (['zstd'] as const) : []), 'br', 'gzip', 'deflate'],
  flushes: true,
  inTransport: true,
}

export function nodeEncoder(encoding: ContentEncoding): Transform {
  const c = zlib.constants
  switch (encoding) {
    case 'gzip':
      return zlib.createGzip({ flush: c.Z_SYNC_FLUSH })
    case 'deflate':
      return zlib.createDeflate({ flush: c.Z_SYNC_FLUSH })
    case 'br':
      return zlib.createBrotliCompress({ flush: c.BROTLI_OPERATION_FLUSH, params: { [c.BROTLI_PARAM_QUALITY]: 4 } })
    case 'zstd':
      return z.createZstdCompress!({ flush: z.constants.ZSTD_e_flush, params: { [z.constants.ZSTD_c_compressionLevel!]: 3, [z.constants.ZSTD_c_windowLog!]: 17 } })
  }
}
