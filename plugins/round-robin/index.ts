/**
 * Plain round robin, the default balancer. It lives in core (core/pools/round-robin.ts: every
 * pool needs it); this entry keeps `import { roundRobin } from 'gatehouse/plugins/round-robin'`.
 */
export { roundRobin, type RoundRobinOptions } from '../../core/pools/round-robin.ts'
