import type { PolicyCall, PolicyContext } from '../core/policy.js';
import { background, type PartStore } from '../core/part-store.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';
import type { LastCopy, Timing } from './copy-plan.js';
import type { keys } from './keys.js';
import type { View } from './view.js';

/** The options of `staleCache()` with their defaults applied. */
export interface ResolvedCacheOptions {
	maxStaleMs: number;
	networkTimeoutMs: number | false;
	maxEntries: number;
	maxBodyBytes: number;
	shared: boolean;
}

/** What the stale cache's parts share: made once per client (`createCache`), handed to each. */
export interface CacheState extends ResolvedCacheOptions {
	readonly context: PolicyContext;
	readonly store: PartStore;
	readonly key: ReturnType<typeof keys>;
	readonly view: View;
	/** The client's sensitive header names, `Set-Cookie2`, `Authentication-Info` and `Proxy-Authentication-Info` (never stored either). */
	readonly sensitive: ReadonlySet<string>;
	/**
	 * The response headers a record never keeps (the sensitive ones, `dropped`); any other is kept without the sensitive
	 * query values of the URLs it names (copy.ts `copyOf`).
	 */
	readonly unkept: ReadonlySet<string>;
	/** The client's sensitive query parameter names. */
	readonly params: ReadonlySet<string>;
	/** A read's state (`Read`), made once per call for the wrapper and the layer (`PolicyContext.perCall`). */
	readonly readOf: (call: PolicyCall) => Read;
	/** When a write touching each path (`pathOf`) was last delivered by any client of the name, here or in another tab: no older copy answers (serve.ts). */
	readonly written: Map<string, number>;
	/**
	 * The writes (method and `pathOf` their URL) the stale caches of this name and store (`context.stores`) are sending:
	 * the one delivered drops its copies (the layer), no other cache that hears it does.
	 */
	readonly writing: Set<string>;
}

/** A copy taken as its response arrived (a clone), and what its record and the view need (its plan's `timing` and `copied`). */
export interface Copy {
	request: Request;
	response: Response;
	clone: Response;
	found: string | Promise<string>;
	timing: Timing;
	copied: LastCopy['copied'];
	now: number;
	/** When the last copy under its key was stored or served, as the view knew it before this copy (undefined: none known). */
	before: number | undefined;
	/** The view's `epoch` when it was taken. */
	start: number;
	/** The response's headers the record keeps (`kept`), read in one pass (each `get` costs as much as a pass over a few). */
	headers: Array<[string, string]>;
	/** The response's Vary, or '' when it has none. */
	vary: string;
}

/**
 * A read's state, made by the wrapper (the first to ask) and seen by the layer: the copy taken of
 * its answer, and its deadline (`networkTimeoutMs`), armed by the layer at the first attempt when a
 * copy may answer.
 */
export interface Read {
	/** The deadline, in ms from `start` (injected clock); `false`: none. */
	readonly ms: number | false;
	readonly start: number;
	/** Resolves the call's promise (the wrapper's, which sets it) before its run ends. */
	answer?: (response: Response) => void;
	/** The copy taken of the call's response, until the call's outcome is known. */
	copy?: Copy | undefined;
	/** The run and what the wrapper makes of it (never rejects): a Worker's `waitUntil` keeps it when the copy answers. */
	run?: Promise<unknown>;
	timer?: ReturnType<typeof setTimeout> | undefined;
	/** The call has its answer (the run's, or the copy's): no copy answers it any more. */
	done?: boolean;
	/** The copy answered: the run's outcome is written or let go, never answered. */
	early?: boolean;
	/** In Workers without `waitUntil`: aborted when the copy answers, and with it every attempt of the run (see the layer). */
	cut?: AbortController | undefined;
	/** The first attempt's Request and its key, made once (the key costs as much as the rest of the deadline): the copy of its answer is taken under it. */
	request?: Request;
	key?: string | Promise<string> | undefined;
}

const ignore = (): undefined => undefined;

/** Let a response's body go unread. */
export const discard = (response: Response | undefined): void => {
	void response?.body?.cancel().catch(ignore);
};

/** Background work of a call (see `background`). */
export const behind = ({ context }: CacheState, call: PolicyCall, url: string, work: () => Promise<unknown>): void => {
	background(context, 'cache', call.waitUntil, work, url);
};

/**
 * A call whose caller has its answer while its work goes on (a read its copy answered at its deadline, the offline
 * read's background attempt): no attempt of it goes out once its identity changed or the client was cleared — its
 * first too, after a wait (a bulkhead slot, a rate-limit token): `World.check`, which the transport asks after every
 * layer's wait, as no further attempt of an answered call goes out. Refused as the core refuses such a further attempt
 * (`ABORTED`, a `SteadfetchError`: refused below without I/O), so what a layer above took for it (a rate-limit token) is given back.
 */
export const outlives = ({ world }: PolicyCall): void => {
	world.check ??= () => world.current() ? undefined : new SteadfetchError('Not sent: the identity changed, or the client was cleared', 'ABORTED', false);
};
