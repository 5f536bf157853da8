/**
 * The reports of a fleet run (issue 5, "Reports"): console progress and summary, the files of the run
 * folder (report.json, junit.xml, report.html) and the run database behind `certfleet show device`.
 */
export { shouldColor, stripAnsi, type Style } from './ansi.ts';
export { renderSummary, type RenderSummaryOptions } from './console.ts';
export { renderDeviceStory, type RenderDeviceStoryOptions } from './device-story.ts';
export { renderHtml, type RenderHtmlOptions } from './html.ts';
export { renderJunit } from './junit.ts';
export {
  ProgressBar,
  renderProgressLine,
  type ProgressBarOptions,
  type ProgressCounts,
  type ProgressStream,
} from './progress-bar.ts';
export {
  REPORT_FORMAT,
  buildReportJson,
  nativeText,
  type ReportJson,
  type ReportOutcome,
} from './report-json.ts';
export {
  RUN_DB_FILE,
  RunDb,
  deviceRecordOf,
  runDbPath,
  type CreateRunDbOptions,
  type DeliveryRecord,
  type DeviceRecord,
  type DeviceStory,
  type InventoryRecord,
  type RunInfo,
  type StoreItemLike,
  type StoreSnapshotItem,
} from './run-db.ts';
export { summarize, type FailureReason, type OutcomeCounts, type RunSummary } from './summary.ts';
export { REPORT_FILES, writeReports, type WrittenReports } from './write-reports.ts';
