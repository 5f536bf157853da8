/** The iOS/iPadOS platform adapter (implemented with macOS in agent/platforms/apple/). */
export { iosAdapter } from '../apple/index.ts';
