/**
 * Certificates for HTTPS listeners (`listen.tls.certificates`): the source contract and the
 * built-in file source. See contract.ts for writing a source (an ACME one fits it).
 *
 * @example
 * import { certificateFiles } from 'gatehouse/plugins/certificates'
 * listen: { port: 443, tls: { certificates: certificateFiles([{ cert: './a.pem', key: './a.key' }]) } }
 */
export { certificateFiles, type CertificateFile, type CertificateFilesOptions } from './files.ts'
export type { CertificateContext, CertificateInput, CertificateSource, CertificateStatus, ChallengeType } from './contract.ts'
