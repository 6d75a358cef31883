export const BACKEND_BUNDLE_PATH: string;
/** The workspaces the backend's build is made of. */
export const BACKEND_SOURCES: string[];
