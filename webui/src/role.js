/**
 * The signed-in user's role, for showing only the actions it allows (the
 * backend refuses the others with 403 anyway; see README.md, "Users and
 * roles"). Each role includes the ones before it.
 */

/** @typedef {'viewer' | 'operator' | 'admin'} Role */

/** @type {Role[]} */
const ORDER = ['viewer', 'operator', 'admin'];

/** @type {Role} */
let current = 'viewer';

/** Set from the session when the user signs in or the page loads. @param {string | undefined} role */
export function setRole(role) {
  current = ORDER.includes(/** @type {Role} */ (role)) ? /** @type {Role} */ (role) : 'viewer';
}

/** Whether the signed-in user has at least `role`. @param {Role} role */
export const can = (role) => ORDER.indexOf(current) >= ORDER.indexOf(role);

/** The signed-in user's role. */
export const currentRole = () => current;
