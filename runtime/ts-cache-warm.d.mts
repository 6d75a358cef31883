/** The TypeScript files below `dir` (not in node_modules, build output or hidden folders), sorted. */
export function typeScriptFiles(dir: string): string[];
