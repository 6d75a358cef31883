/**
 * The audit trail: who changed what through the REST API, and when. A route
 * that changes something declares its audit action (rest/route-roles.ts); the
 * request then carries a pending entry, and the first transaction that
 * commits while the request runs writes it (Database.transaction), so the
 * entry and the change commit or roll back together. A change that touches no
 * database (a configuration reload) is written when its answer succeeds.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager } from 'typeorm';

/** The audit entry of the request in progress, until it is written. */
export interface PendingAudit {
  user: string;
  action: string;
  target: string | null;
  details: Record<string, string>;
  /** The stored entry's id, once a transaction has written it. */
  writtenId?: string;
  /** Claimed by a transaction that has not committed yet. */
  writing?: boolean;
  /** The request has been answered: later transactions (work it started in the background) are not its change. */
  closed?: boolean;
}

export interface AuditEntry {
  id: number;
  time: number;
  user: string;
  action: string;
  target: string | null;
  details: Record<string, string>;
}

const current = new AsyncLocalStorage<PendingAudit>();

/** Runs `work` (the rest of a request) with `pending` as the entry its changes write. */
export function runWithAudit<T>(pending: PendingAudit, work: () => T): T {
  return current.run(pending, work);
}

/** The pending entry of the request this code runs for, if it changes something. */
export function pendingAudit(): PendingAudit | undefined {
  const pending = current.getStore();
  return pending && !pending.closed && pending.writtenId === undefined && !pending.writing ? pending : undefined;
}

/** Adds what only the handler knows (the user it created, the monitor's name) to its request's entry. */
export function noteAudit(note: { target?: string; details?: Record<string, string>; user?: string }): void {
  const pending = current.getStore();
  if (!pending) return;
  if (note.target !== undefined) pending.target = note.target;
  if (note.user !== undefined) pending.user = note.user;
  Object.assign(pending.details, note.details);
}

/** Adds details about `target` when it is what the request's entry is about (not, say, one monitor of a "pause all"). */
export function describeAuditTarget(target: string, details: Record<string, string>): void {
  const pending = current.getStore();
  if (pending?.target === target) Object.assign(pending.details, details);
}

/** Writes the entry in the caller's transaction; returns its id. */
export async function writeAudit(manager: EntityManager, pending: PendingAudit, time: number): Promise<string> {
  const [row] = (await manager.query(`INSERT INTO audit_entry (time, username, action, target, details) VALUES ($1, $2, $3, $4, $5) RETURNING id`, [
    time,
    pending.user,
    pending.action,
    pending.target,
    JSON.stringify(pending.details),
  ])) as { id: string }[];
  return String(row!.id);
}

export interface AuditQuery {
  user?: string;
  action?: string;
  target?: string;
  fromMs?: number;
  toMs?: number;
  limit?: number;
}

/** Entries newest first, filtered by user, action (exact, or a prefix ending in "."), target and time. */
export async function queryAudit(manager: EntityManager, query: AuditQuery): Promise<AuditEntry[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    values.push(value);
    where.push(clause.replace('?', `$${values.length}`));
  };
  if (query.user !== undefined) add('username = ?', query.user);
  if (query.action !== undefined) {
    if (query.action.endsWith('.')) add("starts_with(action, ?)", query.action);
    else add('action = ?', query.action);
  }
  if (query.target !== undefined) add('target = ?', query.target);
  if (query.fromMs !== undefined) add('time >= ?', query.fromMs);
  if (query.toMs !== undefined) add('time < ?', query.toMs);
  values.push(query.limit ?? 200);
  const rows = (await manager.query(
    `SELECT id, time, username, action, target, details FROM audit_entry ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY time DESC, id DESC LIMIT $${values.length}`,
    values,
  )) as { id: string; time: string; username: string; action: string; target: string | null; details: Record<string, string> | string }[];
  return rows.map((r) => ({
    id: Number(r.id),
    time: Number(r.time),
    user: r.username,
    action: r.action,
    target: r.target,
    details: typeof r.details === 'string' ? (JSON.parse(r.details) as Record<string, string>) : r.details,
  }));
}
