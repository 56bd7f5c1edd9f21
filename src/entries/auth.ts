/** `steadfetch/auth`: bearer tokens with one refresh at a time across tabs (the `auth` slot). */
export { auth, type AuthOptions } from '../auth/index.js';
export { AuthError } from '../errors/AuthError.js';
export type { AuthRefreshEvent } from '../auth/events.js';
