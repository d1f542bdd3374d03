/** The package version, reported as `runtime.version` (a test keeps it equal to package.json's). */
export const TESTKIT_VERSION = '0.1.0';
