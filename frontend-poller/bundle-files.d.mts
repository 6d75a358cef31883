export const POLLER_BUNDLE_PATH: string;
/** The workspaces the poller's bundle is made of. */
export const POLLER_SOURCES: string[];
/** Whether `outfile` is missing or older than a file (tests aside) in one of `sourceDirs`. */
export function isStale(outfile: string, sourceDirs: string[]): boolean;
