/** The MDM service side of a fleet run: enrollment, assignment, delivery, renewal, revocation (issue 5). */
export { MdmService } from './mdm-service.ts';
export type { MdmServiceOptions, PublishedPayload, ServiceCounters, ServiceDevice } from './mdm-service.ts';
export type { Directory, DirectoryEntry, DirectoryUser } from './directory.ts';
export { factsFromInventory } from './facts-from-inventory.ts';
export {
  applicableAssignments,
  assignmentApplies,
  checkAssignments,
  inGroup,
  notApplicableAssignments,
} from './assignment.ts';
export type { AssignmentTarget, GroupFilter, ProfileAssignment } from './assignment.ts';
export { checkEnrollment, compareVersions } from './enrollment-restrictions.ts';
export type {
  EnrollmentCandidate,
  EnrollmentRefusal,
  EnrollmentRestrictions,
} from './enrollment-restrictions.ts';
export { answerTimeout, DEFAULT_RETRY_POLICY } from './retry-policy.ts';
export type { RetryPolicy } from './retry-policy.ts';
export { CertificateQueue } from './certificate-queue.ts';
export type { LeaseRefusal } from './certificate-queue.ts';
export {
  ensureMdmDeviceTemplate,
  MDM_DEVICE_TEMPLATE,
  MDM_SERVICE_REQUESTER,
  mdmDeviceTemplate,
} from './mdm-device-template.ts';
export { IssuedInMemory, type IssuedIdentities } from './stores/issued-identities.ts';
export { IssuedOnDisk } from './stores/issued-identities-db.ts';
