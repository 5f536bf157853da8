/**
 * Every platform's device behaviour, in one table: a new platform cannot be half-wired (docs/architecture.md "How to add … a platform").
 */
import type { Platform } from '../../profiles/model/platform.ts';
import type { PlatformAdapter } from '../platform-adapter.ts';
import { androidAdapter } from './android/index.ts';
import { iosAdapter } from './ios/index.ts';
import { macosAdapter } from './macos/index.ts';
import { windowsAdapter } from './windows/index.ts';

/** The adapter of each platform. */
export const PLATFORM_ADAPTERS = {
  windows: windowsAdapter,
  macos: macosAdapter,
  ios: iosAdapter,
  android: androidAdapter,
} as const satisfies Record<Platform, PlatformAdapter>;
