/**
 * Connectors: the certificate connectors poll the MDM service for PKCS requests, lease, issue at the CA
 * (issue 5); the tenant's PFX connector leases imported-PFX requests and opens them with the tenant key
 * (issue 14 point 3). Both speak protocol.ts through lease-client.ts.
 */
export { CertificateConnector } from './certificate-connector.ts';
export type { CertificateConnectorOptions } from './certificate-connector.ts';
export { LeaseClient } from './lease-client.ts';
export type { LeaseClientOptions, ProcessLease } from './lease-client.ts';
export { Limiter } from './limiter.ts';
export { PfxConnector, pfxConnectorId } from './pfx-connector.ts';
export type { PfxConnectorOptions } from './pfx-connector.ts';
export { connectorTopics, isImportedPfxResult, isImportedPfxWork, roleOfWork } from './protocol.ts';
export type {
  BatchMessage,
  CertificateWork,
  CommitAnswerMessage,
  CommitMessage,
  ConnectorRole,
  ConnectorWork,
  ImportedPfxResult,
  ImportedPfxWork,
  IssueResult,
  PollMessage,
  ResultMessage,
  ToConnectorMessage,
  ToServiceMessage,
  WorkLease,
  WorkOf,
} from './protocol.ts';
