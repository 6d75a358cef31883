export const BACKEND_BUNDLE_PATH: string;
/** The workspaces the backend's build is made of. */
export const BACKEND_SOURCES: string[];
/** An empty embedded database that a new data folder starts as a copy of. */
export const EMPTY_DATABASE_PATH: string;
/** The file beside it naming the PGlite version that made it. */
export const EMPTY_DATABASE_MADE_BY: string;
/** The version of the PGlite installed now, or undefined where it cannot be read. */
export function installedPgliteVersion(): string | undefined;
/** Whether the empty database is missing or made by another PGlite than the one installed. */
export function emptyDatabaseIsStale(): boolean;
/** Where the web UI's bundle, its map and manifest.json are built. */
export const WEBUI_BUNDLE_DIR: string;
/** The folders the web UI's bundle is made from. */
export const WEBUI_SOURCES: string[];
/** Whether the web UI's bundle is missing or older than one of its sources. */
export function webUiIsStale(): boolean;
/** Builds whatever is missing or stale; the exit status, 0 when all is built. */
export function buildIfStale(): number;
