import type * as Full from './with-context.js';

// The `browser` build's `with-context.ts` (see tsup.config.ts): a browser serves no incoming request,
// so a client has no request context to make. Each name has the type of the full module's.

export type { ContextDeps } from './with-context.js';

/** `client.withContext` in a browser: a `TypeError`, request contexts are for Workers and Deno. */
export const contexts: typeof Full.contexts = () => () => {
	// A Worker bundled without the `workerd` condition meets this first: say what to change.
	throw new TypeError('`withContext` is for Workers and Deno (a request context); the browser build has none: bundle a Worker with the `workerd` condition');
};
