/**
 * Certificates for HTTPS listeners (`listen.tls.certificates`): the source contract and the
 * built-in PEM-file source. Both live in core (core/tls/, the gateway needs them for the
 * `[{ cert, key }]` shorthand); this entry re-exports them. See core/tls/certificate-source.ts
 * for writing a source (an ACME one fits it).
 *
 * @example
 * import { certificateFiles } from 'gatehouse/plugins/certificates'
 * listen: { port: 443, tls: { certificates: certificateFiles([{ cert: './a.pem', key: './a.key' }]) } }
 */
export { certificateFiles, type CertificateFile, type CertificateFilesOptions } from '../../core/tls/certificate-files.ts'
export type { CertificateContext, CertificateInput, CertificateSource, CertificateStatus, ChallengeType } from '../../core/tls/certificate-source.ts'
