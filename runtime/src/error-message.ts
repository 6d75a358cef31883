/** The message of anything thrown, Error or not: what a log line or a reason quotes. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
