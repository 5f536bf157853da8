/** Certificate connectors: poll the MDM service for PKCS requests, lease, issue at the CA (issue 5). */
export { CertificateConnector } from './certificate-connector.ts';
export type { CertificateConnectorOptions } from './certificate-connector.ts';
export { Limiter } from './limiter.ts';
export { connectorTopics } from './protocol.ts';
export type {
  BatchMessage,
  CertificateWork,
  CommitAnswerMessage,
  CommitMessage,
  IssueResult,
  PollMessage,
  ResultMessage,
  ToConnectorMessage,
  ToServiceMessage,
  WorkLease,
} from './protocol.ts';
