/**
 * Scenarios (issue 5 "Scenarios"): YAML scenario files validated with line numbers, the fleet plan,
 * device groups for assignments, and expectations judged over a run. Format: scenarios/README.md.
 */
export type * from './types.ts';
export {
  loadScenario,
  bindCaRoot,
  needsCaRoot,
  DEFAULT_START,
  MAX_CONNECTORS,
  type ScenarioSource,
} from './load-scenario.ts';
export { formatProblem, type ScenarioProblem } from './checker.ts';
export {
  planFleet,
  planDevice,
  planConnectors,
  type DevicePlan,
  type ConnectorPlan,
  type TimeWindow,
  type PlanOptions,
} from './plan-fleet.ts';
export { isAssigned, isTargeted, matchesSelector, profilesFor, type AssignmentTarget } from './selectors.ts';
export {
  evaluateExpectations,
  evaluateExpectation,
  extraFactsOf,
  describeChecks,
  describeWhere,
  type EvaluateOptions,
  type ExtraDeviceFacts,
} from './expectations.ts';
export { parseDuration, formatDuration, DURATION_UNITS } from './durations.ts';
export { parseVersionFilter, versionMatches, windowsMajor, type VersionFilter } from './versions.ts';
export {
  CA_ROOT_PLACEHOLDER,
  DEFAULT_CERTIFICATION_AUTHORITY,
  DEFAULT_CERTIFICATION_AUTHORITY_NAME,
} from './read-profiles.ts';
export { bindCaIssuing, needsCaIssuing, CA_ISSUING_PLACEHOLDER } from './bind-issuing.ts';
export { bindScepServer, needsScepServer } from './bind-scep-server.ts';
export { OUTCOME_CODES } from './read-expectations.ts';
export { MAX_DEVICES, DEFAULT_MIX } from './read-fleet.ts';
export { absenceCausesOf, RULE_CAUSES, type AbsenceCause, type AbsenceSource } from './absence-causes.ts';
