/**
 * A binary min-heap of items ordered by a numeric key. Equal keys come out in
 * the order they went in, so a schedule with ties stays deterministic.
 */

interface Node<T> {
  readonly item: T;
  readonly key: number;
  readonly seq: number;
}

/**
 * Min-heap keyed by `key(item)`. The key is read once, when the item goes in:
 * to move an item, pop it, change it, and push it back.
 */
export class MinHeap<T> {
  private nodes: Node<T>[] = [];
  private nextSeq = 0;

  /** `items`, if given, are heapified in O(n); ties among them keep their iteration order. */
  constructor(
    private readonly key: (item: T) => number,
    items?: Iterable<T>,
  ) {
    if (items === undefined) return;
    for (const item of items) this.nodes.push(this.node(item));
    for (let i = (this.nodes.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** Number of items held. */
  get size(): number {
    return this.nodes.length;
  }

  /** Adds `item` at its key. */
  push(item: T): void {
    this.nodes.push(this.node(item));
    this.siftUp(this.nodes.length - 1);
  }

  /** Removes and returns the item with the smallest key, or undefined when empty. */
  pop(): T | undefined {
    const top = this.nodes[0];
    const last = this.nodes.pop();
    if (top === undefined || last === undefined) return undefined;
    if (this.nodes.length > 0) {
      this.nodes[0] = last;
      this.siftDown(0);
    }
    return top.item;
  }

  /** The item with the smallest key, left in place; undefined when empty. */
  peek(): T | undefined {
    return this.nodes[0]?.item;
  }

  /** Removes every item. */
  clear(): void {
    this.nodes = [];
  }

  private node(item: T): Node<T> {
    return { item, key: this.key(item), seq: this.nextSeq++ };
  }

  private less(a: Node<T>, b: Node<T>): boolean {
    return a.key < b.key || (a.key === b.key && a.seq < b.seq);
  }

  private siftUp(index: number): void {
    const nodes = this.nodes;
    const node = nodes[index]!;
    let i = index;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = nodes[parentIndex]!;
      if (!this.less(node, parent)) break;
      nodes[i] = parent;
      i = parentIndex;
    }
    nodes[i] = node;
  }

  private siftDown(index: number): void {
    const nodes = this.nodes;
    const length = nodes.length;
    const node = nodes[index]!;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      let childNode = nodes[left]!;
      if (right < length) {
        const rightNode = nodes[right]!;
        if (this.less(rightNode, childNode)) {
          child = right;
          childNode = rightNode;
        }
      }
      if (!this.less(childNode, node)) break;
      nodes[i] = childNode;
      i = child;
    }
    nodes[i] = node;
  }
}
