export function startCompilingPGlite(): void;
export function pgliteWasmModule(): Promise<WebAssembly.Module>;
