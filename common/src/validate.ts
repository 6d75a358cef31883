import type { z } from 'zod';
import { ErrorCode, ProtocolError } from './errors.ts';
import {
  Methods,
  Notifications,
  type MethodName,
  type NotificationName,
  type NotificationParams,
  type ParamsOf,
  type ResultOf,
} from './protocol.ts';

/** "results[0].seq: expected number, received string" for the first few issues. */
export function describeIssues(error: z.ZodError, root: string): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${formatPath(root, issue.path)}: ${issue.message}`)
    .join('; ');
}

function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  }
  return out || '(root)';
}

/** Validates a method's params; a mismatch is -32602 naming the field. */
export function parseParams<M extends MethodName>(method: M, params: unknown): ParamsOf<M> {
  const parsed = Methods[method].params.safeParse(params ?? {});
  if (!parsed.success) {
    throw new ProtocolError(ErrorCode.InvalidParams, `invalid params: ${describeIssues(parsed.error, 'params')}`);
  }
  return parsed.data as ParamsOf<M>;
}

/** Validates a method's result as received by a poller; a mismatch is a broken server. */
export function parseResult<M extends MethodName>(method: M, result: unknown): ResultOf<M> {
  const parsed = Methods[method].result.safeParse(result);
  if (!parsed.success) {
    throw new ProtocolError(
      ErrorCode.InternalError,
      `server sent an invalid ${method} result: ${describeIssues(parsed.error, 'result')}`,
    );
  }
  return parsed.data as ResultOf<M>;
}

export function parseNotification<N extends NotificationName>(name: N, params: unknown): NotificationParams<N> {
  const parsed = Notifications[name].safeParse(params);
  if (!parsed.success) {
    throw new ProtocolError(ErrorCode.InvalidParams, `invalid ${name} notification: ${describeIssues(parsed.error, 'params')}`);
  }
  return parsed.data as NotificationParams<N>;
}
