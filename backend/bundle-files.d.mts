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
