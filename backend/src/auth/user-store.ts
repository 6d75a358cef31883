/**
 * Users as administrators manage them: list, create with a role and a
 * password, change a role, set a new password, delete. There is always an
 * administrator: the last one can neither be deleted nor lose the role, and
 * nobody deletes themselves. Those checks run under a lock on the
 * administrators' rows, so two requests at once cannot remove the last two.
 */
import type { EntityManager } from 'typeorm';
import type { Database } from '../db/database.ts';
import { MIN_PASSWORD_LENGTH } from './auth-service.ts';
import { hashPassword } from './passwords.ts';
import type { Role } from './roles.ts';

export interface UserView {
  id: number;
  username: string;
  role: Role;
  createdAt: number;
}

/** A request about users that cannot be carried out, with the HTTP status that says why. */
export class UserChangeError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

/** Letters, digits and . _ - @, up to 64: safe in logs, URLs and the UI. */
const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;

export class UserStore {
  constructor(
    private readonly db: Database,
    /** Called after a change that may make remembered credentials wrong. */
    private readonly changed: () => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  async list(): Promise<UserView[]> {
    const rows = (await this.db.manager.query(`SELECT id, username, role, created_at FROM app_user ORDER BY username`)) as UserRow[];
    return rows.map(view);
  }

  async create(username: string, role: Role, password: string): Promise<UserView> {
    if (!USERNAME.test(username)) throw new UserChangeError(400, `username "${username.slice(0, 80)}" must be 1 to 64 letters, digits or . _ - @`);
    checkPassword(password);
    const hash = await hashPassword(password);
    return this.db.transaction(async (m) => {
      const rows = (await m.query(
        `INSERT INTO app_user (username, password_hash, created_at, role) VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING
          RETURNING id, username, role, created_at`,
        [username, hash, this.now(), role],
      )) as UserRow[];
      if (rows.length === 0) throw new UserChangeError(409, `a user "${username}" exists already`);
      return view(rows[0]!);
    });
  }

  async setRole(username: string, role: Role): Promise<UserView> {
    const user = await this.db.transaction(async (m) => {
      const admins = await this.lockAdmins(m);
      const user = await this.lockedUser(m, username);
      if (user.role === 'admin' && role !== 'admin' && admins <= 1) {
        throw new UserChangeError(409, `"${username}" is the last administrator and keeps the role; make another user admin first`);
      }
      await m.query(`UPDATE app_user SET role = $1 WHERE id = $2`, [role, user.id]);
      return { ...user, role };
    });
    this.changed();
    return view(user);
  }

  /** Sets a new password and ends the user's sessions, as a change of one's own password does. */
  async resetPassword(username: string, password: string): Promise<UserView> {
    checkPassword(password);
    const hash = await hashPassword(password);
    const user = await this.db.transaction(async (m) => {
      const user = await this.lockedUser(m, username);
      await m.query(`UPDATE app_user SET password_hash = $1 WHERE id = $2`, [hash, user.id]);
      await m.query(`DELETE FROM user_session WHERE user_id = $1`, [user.id]);
      return user;
    });
    this.changed();
    return view(user);
  }

  /** Deletes a user (and its sessions); `by` is who asks, who may not delete themselves. */
  async delete(username: string, by: string): Promise<UserView> {
    if (username === by) throw new UserChangeError(409, 'you cannot delete yourself; another administrator can');
    const user = await this.db.transaction(async (m) => {
      const admins = await this.lockAdmins(m);
      const user = await this.lockedUser(m, username);
      if (user.role === 'admin' && admins <= 1) throw new UserChangeError(409, `"${username}" is the last administrator and cannot be deleted`);
      await m.query(`DELETE FROM app_user WHERE id = $1`, [user.id]);
      return user;
    });
    this.changed();
    return view(user);
  }

  private async lockedUser(m: EntityManager, username: string): Promise<UserRow> {
    const [row] = (await m.query(`SELECT id, username, role, created_at FROM app_user WHERE username = $1 FOR UPDATE`, [username])) as UserRow[];
    if (!row) throw new UserChangeError(404, `no user "${username.slice(0, 80)}"`);
    return row;
  }

  /**
   * Locks every administrator's row, always first and in one order, so that
   * concurrent changes that could remove the last administrator take turns
   * (and cannot deadlock); returns how many there are.
   */
  private async lockAdmins(m: EntityManager): Promise<number> {
    return ((await m.query(`SELECT id FROM app_user WHERE role = 'admin' ORDER BY id FOR UPDATE`)) as unknown[]).length;
  }
}

interface UserRow {
  id: number;
  username: string;
  role: Role;
  created_at: string | number;
}

const view = (row: UserRow): UserView => ({ id: row.id, username: row.username, role: row.role, createdAt: Number(row.created_at) });

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new UserChangeError(400, `the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
}
