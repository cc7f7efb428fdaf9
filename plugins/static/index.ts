/**
 * Static discovery: a fixed list of upstreams. It lives in core (core/pools/static-upstreams.ts:
 * `pools.<name>.upstreams` is shorthand for it); this entry keeps `gatehouse/plugins/static`.
 */
import { staticUpstreams } from '../../core/pools/static-upstreams.ts'

export { staticUpstreams }
export default staticUpstreams
