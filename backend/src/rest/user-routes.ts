/** REST for users (administrators only, rest/route-roles.ts): list, create with a role, change role or password, delete. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { noteAudit } from '../audit/audit-trail.ts';
import { isRole, ROLES } from '../auth/roles.ts';
import { UserChangeError, type UserStore } from '../auth/user-store.ts';

type Body = Record<string, unknown> | undefined;

export function registerUserRoutes(app: FastifyInstance, users: UserStore): void {
  app.get('/api/users', async () => users.list());

  app.post<{ Body: Body }>('/api/users', async (request, reply) => {
    const { username, role, password } = request.body ?? {};
    if (typeof username !== 'string' || typeof password !== 'string') {
      return reply.code(400).send({ error: 'username and password are required: {username, role, password}' });
    }
    if (!isRole(role)) return reply.code(400).send({ error: roleProblem(role) });
    noteAudit({ target: username, details: { role } });
    return answer(reply, () => users.create(username, role, password));
  });

  app.patch<{ Params: { username: string }; Body: Body }>('/api/users/:username', async (request, reply) => {
    const { role, password } = request.body ?? {};
    if (role === undefined && password === undefined) return reply.code(400).send({ error: 'nothing to change: give role, password or both' });
    if (role !== undefined && !isRole(role)) return reply.code(400).send({ error: roleProblem(role) });
    if (password !== undefined && typeof password !== 'string') return reply.code(400).send({ error: 'password must be a string' });
    // The details say what changed, never the password itself.
    noteAudit({ details: { ...(role !== undefined ? { role } : {}), ...(password !== undefined ? { password: 'reset' } : {}) } });
    return answer(reply, async () => {
      let user = role !== undefined ? await users.setRole(request.params.username, role) : undefined;
      if (password !== undefined) user = await users.resetPassword(request.params.username, password);
      return user;
    });
  });

  app.delete<{ Params: { username: string } }>('/api/users/:username', async (request, reply) =>
    answer(reply, () => users.delete(request.params.username, request.user!.username)),
  );
}

const roleProblem = (role: unknown) => `role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`;

async function answer(reply: FastifyReply, work: () => Promise<unknown>): Promise<unknown> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof UserChangeError) return reply.code(err.status).send({ error: err.message });
    throw err;
  }
}
