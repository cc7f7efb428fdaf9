// Types for node-binary.js (plain JavaScript, so that test/run.js runs on any Node).
export declare const NODE_VERSIONS: { lts: string; oldest: string }
export declare function resolveNodeVersion(name: string): string
export declare function nodeBinary(name: string): string
