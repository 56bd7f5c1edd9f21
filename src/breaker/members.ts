import type { PolicyParts } from '../core/policy.js';
import type { BreakerSnapshot } from './snapshot.js';

/** `client.breaker`: a scope's snapshot, and the kill switch (with a breaker). */
export interface BreakerHandle {
	/**
	 * The scope's state now, from what this client knows: it cannot wait for the store, so after a
	 * reload it shows the stored state (an open or isolated scope) only once this client has read it
	 * — at the scope's first call or `waitForHealthy` — or heard of a change from another tab; until
	 * then `closed`. `await client.waitForHealthy(url, { timeoutMs: 0 }).catch(() => {})` has it read.
	 */
	(urlOrOrigin: string | URL): BreakerSnapshot;
	/**
	 * Open a scope by hand until `reset` (shared across tabs and persisted); resolves once the state is
	 * stored. Only `reset` lifts it: `client.clear()` does not. Rejects `CLIENT_CLOSED` once the client is closed (nothing stored).
	 */
	isolate(urlOrScope: string | URL): Promise<void>;
	/** Close a scope by hand (ends an isolation or an open period at once); resolves once the state is stored. Rejects `CLIENT_CLOSED` once the client is closed. */
	reset(urlOrScope: string | URL): Promise<void>;
}

/** The members a breaker gives the client. */
export interface BreakerMembers {
	/**
	 * The breaker of a URL's scope. `breaker.isolate(url)` opens the scope by hand until
	 * `breaker.reset(url)` — a kill switch, shared across tabs and persisted; calls to it fail fast
	 * with `CircuitOpenError` and no probe goes (`breaker:open` reason `isolated`, `breaker:closed`
	 * reason `reset`).
	 *
	 * Every member takes any URL of the scope: an absolute URL or origin as it is, a relative URL
	 * resolved as a call's input is (`prefix`, `baseUrl`, in a page the page's URL); with a custom
	 * `breaker.scope`, a string without `://` is a scope itself. A URL no call could go to, or what
	 * is neither a string nor a `URL` (a missing argument), is an `InvalidRequestError` (rejected;
	 * thrown by `breaker(url)`, which answers at once): never the scope of the client's own origin.
	 */
	readonly breaker: BreakerHandle;
	/**
	 * Resolves once the scope's breaker is closed (at once if it is), rejects with a
	 * `SteadfetchError` coded `TIMEOUT` (transient) after `timeoutMs` (default 30 000 ms). Like a
	 * scope's first call, it first reads the scope's stored state when this client has not yet (after
	 * a reload: an open or isolated scope stays open), bounded by `storageTimeoutMs`; a failing store
	 * leaves what this client knows (`storage:error`) until another tab answers with the scope's open state. With
	 * `breaker.probe`, this sends the probe each time the breaker lets one through; without it, a
	 * caller's call is the probe. With `breaker({ shared })`, the scope's state is asked of the
	 * coordinator whenever what this isolate adopted is older than `sharedCacheMs` (never asked: first,
	 * as a call does, and it does not resolve before that answer), so a closing in
	 * any isolate of the fleet (its probe, a `reset`) resolves it with no call of this one.
	 * `close()` rejects it at once (`CLIENT_CLOSED`); no probe starts after. Made through `withContext(ctx)`,
	 * that request's client's `close()` rejects it too (the client's own waits go on).
	 * Options that are no object (`5`) reject with `InvalidRequestError`.
	 */
	waitForHealthy(urlOrScope: string | URL, options?: {
		/**
		 * The longest wait, in ms (at most 2 147 483 647, what a timer holds; anything else rejects
		 * with `InvalidRequestError`): past it, rejects with a `SteadfetchError` coded `TIMEOUT`.
		 * @default 30_000
		 */
		timeoutMs?: number;
	}): Promise<void>;
}

/**
 * The key of the clock of `client.breaker` (the client's injected `clock`, else the real one), a member no public name
 * reaches: its `reopensAt` is that clock's time, so `queryOptionsFor` (steadfetch/tanstack-query) reads the wait until it
 * on it. `Symbol.for`: the same key in every bundle and realm.
 */
export const breakerClock: unique symbol = Symbol.for('steadfetch.clock');

/** The breaker's parts: its members for the client. */
export interface BreakerParts extends PolicyParts {
	readonly members: BreakerMembers;
}
