/**
 * Reads a REST query string strictly: known parameters only, whole numbers in
 * range, values from a list; every problem collected and answered as one 400.
 */
export class QueryReader {
  readonly problems: string[] = [];

  constructor(
    private readonly query: Record<string, string | undefined>,
    allowed: readonly string[],
  ) {
    const unknown = Object.keys(query).filter((k) => !allowed.includes(k));
    if (unknown.length) this.problems.push(`unknown parameter ${unknown.map((k) => `"${k}"`).join(', ')}`);
  }

  string(name: string): string | undefined {
    return this.query[name];
  }

  int(name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const raw = this.query[name];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
      return undefined;
    }
    return n;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const raw = this.query[name];
    if (raw === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
      return undefined;
    }
    return raw as T;
  }

  check(condition: boolean, problem: string): void {
    if (!condition) this.problems.push(problem);
  }
}
