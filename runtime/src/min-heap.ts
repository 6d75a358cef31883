/**
 * A binary min-heap of items ordered by a numeric key. Equal keys come out in
 * the order they went in, so a schedule with ties stays deterministic.
 */

/**
 * Min-heap keyed by `key(item)`. The key is read once, when the item goes in:
 * to move an item, pop it, change it, and push it back.
 *
 * Items, keys and insertion numbers are three parallel arrays rather than one
 * small object per item: a poller's schedule holds 100,000 items, and the
 * numbers then sit unboxed in their arrays instead of costing an object each.
 */
export class MinHeap<T> {
  private items: T[] = [];
  private keys: number[] = [];
  private seqs: number[] = [];
  private nextSeq = 0;

  /** `items`, if given, are heapified in O(n); ties among them keep their iteration order. */
  constructor(
    private readonly key: (item: T) => number,
    items?: Iterable<T>,
  ) {
    if (items === undefined) return;
    for (const item of items) this.append(item);
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** Number of items held. */
  get size(): number {
    return this.items.length;
  }

  /** Adds `item` at its key. */
  push(item: T): void {
    this.append(item);
    this.siftUp(this.items.length - 1);
  }

  /** Removes and returns the item with the smallest key, or undefined when empty. */
  pop(): T | undefined {
    const { items, keys, seqs } = this;
    if (items.length === 0) return undefined;
    const top = items[0];
    const lastItem = items.pop()!;
    const lastKey = keys.pop()!;
    const lastSeq = seqs.pop()!;
    if (items.length > 0) {
      items[0] = lastItem;
      keys[0] = lastKey;
      seqs[0] = lastSeq;
      this.siftDown(0);
    }
    return top;
  }

  /** The item with the smallest key, left in place; undefined when empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Removes every item. */
  clear(): void {
    this.items = [];
    this.keys = [];
    this.seqs = [];
  }

  private append(item: T): void {
    this.items.push(item);
    this.keys.push(this.key(item));
    this.seqs.push(this.nextSeq++);
  }

  /** Whether the item at `a` comes out before the one at `b`. */
  private before(a: number, b: number): boolean {
    const keys = this.keys;
    return keys[a]! < keys[b]! || (keys[a] === keys[b] && this.seqs[a]! < this.seqs[b]!);
  }

  private swap(a: number, b: number): void {
    const { items, keys, seqs } = this;
    const item = items[a]!;
    items[a] = items[b]!;
    items[b] = item;
    const key = keys[a]!;
    keys[a] = keys[b]!;
    keys[b] = key;
    const seq = seqs[a]!;
    seqs[a] = seqs[b]!;
    seqs[b] = seq;
  }

  private siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    const length = this.items.length;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && this.before(right, left) ? right : left;
      if (!this.before(child, i)) break;
      this.swap(i, child);
      i = child;
    }
  }
}
