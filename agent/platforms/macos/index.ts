/** The macOS platform adapter (implemented with iOS in agent/platforms/apple/). */
export { macosAdapter } from '../apple/index.ts';
