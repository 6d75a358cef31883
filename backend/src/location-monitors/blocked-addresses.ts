/**
 * The deny list by address (PRTG's "deny and block IP"): registrations from
 * a blocked source address are refused with -32003, whatever the location or
 * token. Monitors already registered from it are not affected; an
 * administrator denies or revokes those one by one.
 */
import type { EntityManager } from 'typeorm';
import type { Database } from '../db/database.ts';
import { BlockedAddressEntity, type BlockedAddressRow } from '../db/entities.ts';
import { normalizeAddress } from './source-address.ts';

/** Longest reason kept with a block. */
export const MAX_BLOCK_REASON_LENGTH = 500;

export class InvalidAddressError extends Error {}

export class BlockedAddressStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  async list(): Promise<BlockedAddressRow[]> {
    return this.db.manager.find(BlockedAddressEntity, { order: { createdAt: 'ASC', address: 'ASC' } });
  }

  async isBlocked(address: string): Promise<boolean> {
    const normalized = normalizeAddress(address);
    return normalized !== null && (await this.db.manager.existsBy(BlockedAddressEntity, { address: normalized }));
  }

  /** Blocks an address (again: the newest reason wins); in the caller's transaction when given one. */
  async add(block: { address: string; by: string; reason?: string | null; monitorId?: string | null }, manager?: EntityManager): Promise<BlockedAddressRow> {
    const address = normalizeAddress(block.address);
    if (address === null) throw new InvalidAddressError(`address must be an IPv4 or IPv6 address, got "${block.address}"`);
    const reason = block.reason ?? null;
    if (reason !== null && reason.length > MAX_BLOCK_REASON_LENGTH) throw new InvalidAddressError(`reason must be at most ${MAX_BLOCK_REASON_LENGTH} characters`);
    const row: BlockedAddressRow = { address, createdAt: this.now(), createdBy: block.by, reason, monitorId: block.monitorId ?? null };
    const write = (m: EntityManager) => m.upsert(BlockedAddressEntity, row, ['address']);
    if (manager) await write(manager);
    else await this.db.transaction(write);
    return row;
  }

  /** Lifts a block; false when the address was not blocked. */
  async remove(address: string): Promise<boolean> {
    const normalized = normalizeAddress(address) ?? address;
    const result = await this.db.transaction((m) => m.delete(BlockedAddressEntity, { address: normalized }));
    return (result.affected ?? 0) > 0;
  }
}
