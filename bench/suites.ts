/** The benchmark suites `npm run bench` knows, by name. */
export const suites: Record<string, () => Promise<void>> = {};
