/** The gateway's version, as package.json says (test/house/version.test.ts keeps the two equal): build info, the dashboard. */
export const GATEHOUSE_VERSION = '0.1.0'
