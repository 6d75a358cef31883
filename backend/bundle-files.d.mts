export const BACKEND_BUNDLE_PATH: string;
/** The workspaces the backend's build is made of. */
export const BACKEND_SOURCES: string[];
/** An empty embedded database that a new data folder starts as a copy of. */
export const EMPTY_DATABASE_PATH: string;
/** Whether the empty database is missing or older than the installed PGlite. */
export function emptyDatabaseIsStale(): boolean;
