/**
 * Gathers work that arrives close together into groups, so that one
 * transaction can carry the whole group. A transaction has a fixed cost
 * (its BEGIN and COMMIT round trips, the flush of its commit, a pooled
 * connection taken and given back) that a fleet of pollers, each sending a
 * small batch every second, would otherwise pay once per batch; a group pays
 * it once for every batch that arrived within its window.
 *
 * A group holds at most one item per key (one batch per monitor), so that
 * the items of a group never wait on each other, and it is sent as soon as
 * its weight (results) reaches the bound, whatever the window.
 */
export class ArrivalGroups<T> {
  private open: { items: T[]; keys: Set<string>; weight: number; timer: NodeJS.Timeout } | null = null;

  constructor(
    private readonly windowMs: number,
    private readonly maxWeight: number,
    private readonly run: (items: T[]) => void,
  ) {}

  add(key: string, weight: number, item: T): void {
    // A second item for one key goes in the next group: it must come after the first, not beside it.
    if (this.open?.keys.has(key)) this.flush();
    const group = (this.open ??= { items: [], keys: new Set(), weight: 0, timer: setTimeout(() => this.flush(), this.windowMs) });
    group.items.push(item);
    group.keys.add(key);
    group.weight += weight;
    if (group.weight >= this.maxWeight) this.flush();
  }

  /** Sends the open group now, if there is one. */
  flush(): void {
    const group = this.open;
    if (!group) return;
    this.open = null;
    clearTimeout(group.timer);
    this.run(group.items);
  }
}
