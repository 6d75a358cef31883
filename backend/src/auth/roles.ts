/**
 * What a user may do. Each role includes the ones before it: a viewer reads,
 * an operator also acts on monitors and alarms, an administrator also manages
 * users, tokens, the deny list and the configuration.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** Whether a user with role `has` may call a route that needs `needs`. */
export const roleAllows = (has: Role, needs: Role): boolean => ROLES.indexOf(has) >= ROLES.indexOf(needs);
