/**
 * Event ids in a NOTIFY payload: runs of consecutive ids as `FIRST-LAST`,
 * others alone, comma-separated (`12-40,45,50-52`), split into as many
 * payloads as the byte limit asks. One transaction's events usually have
 * consecutive ids, so a batch of thousands is one short payload.
 */

/** The ids as payloads of at most `maxBytes` each (ASCII: one byte per character). */
export function encodeEventIds(ids: readonly number[], maxBytes: number): string[] {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    runs.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  const payloads: string[] = [];
  let current = '';
  for (const run of runs) {
    if (current && current.length + 1 + run.length > maxBytes) {
      payloads.push(current);
      current = '';
    }
    current = current ? `${current},${run}` : run;
  }
  if (current) payloads.push(current);
  return payloads;
}

/** Largest run a payload may stand for: a garbled `1-999999999` must not make a receiver build a billion ids. */
export const MAX_IDS_PER_RUN = 100_000;

/** The ids in a payload; throws naming the part that is not an id or a run of ids. */
export function decodeEventIds(payload: string): number[] {
  const ids: number[] = [];
  for (const part of payload.split(',')) {
    const match = /^(\d{1,15})(?:-(\d{1,15}))?$/.exec(part);
    if (!match) throw new Error(`"${part}" is not an event id or a FIRST-LAST run of ids`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first || last - first >= MAX_IDS_PER_RUN) throw new Error(`"${part}" is not a run of at most ${MAX_IDS_PER_RUN} ids`);
    for (let id = first; id <= last; id++) ids.push(id);
  }
  return ids;
}
