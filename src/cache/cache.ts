import type { CacheParts, CachedEntry } from '../core/client-types.js';
import type { PolicyCall, PolicyContext } from '../core/policy.js';
import { requestScoped } from '../core/runtime.js';
import { callUrl } from '../core/scope.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
import { classify, classifyStatus } from '../errors/classify.js';
import { background, partStore, storageError } from '../shared/part-store.js';
import { readCapped } from '../shared/read-capped.js';
import { sensitiveOf } from '../shared/sensitive-of.js';
import { redact } from '../shared/sensitive.js';
import { storedHeaders } from '../shared/stored-headers.js';
import { Superseded } from '../shared/superseded.js';
import { autoStore } from '../stores/auto.js';
import { timing, type Timing } from './cache-control.js';
import { isStale } from './is-stale.js';
import { keys, urlOf } from './keys.js';
import { isRecord, type CacheRecord } from './record.js';
import { ageOf, staleResponse, type StaleReason } from './stale-response.js';

/** The options of `staleCache()` with their defaults applied. */
export interface ResolvedCacheOptions {
	maxStaleMs: number;
	networkTimeoutMs: number | false;
	maxEntries: number;
	maxBodyBytes: number;
	shared: boolean;
}

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The failures a stored copy answers, by `classify()` code, and the `detail` each gives: the
 * origin's or the network's fault (`HTTP_5XX` is every 5xx, 501 included), and the adaptive
 * throttle's refusal (the origin has been rejecting much of what it gets). On purpose not all the
 * transient codes: a 429 or 408 (the origin asks us to slow down, or waited for the request), a
 * full bulkhead or a rate limit (our own refusals) have no `detail` in API.md and are not answered
 * from the cache. `SUBREQUESTS` is no code: a call whose retry or failover attempt its request
 * context refused (`PolicyCall.limited`), whatever its last attempt's failure.
 */
const reasons: Readonly<Record<string, StaleReason>> = { NETWORK: 'network', TIMEOUT: 'timeout', HTTP_5XX: 'http-5xx', CIRCUIT_OPEN: 'circuit-open', THROTTLED: 'throttled', SUBREQUESTS: 'subrequests' };

/** Response headers never stored: cookies, and what no longer describes the stored (decoded) body. */
const dropped = ['set-cookie', 'content-encoding', 'content-length', 'transfer-encoding', 'age', 'cache-status'];

const ignore = (): undefined => undefined;

/**
 * How long an unchanged answer (same status, Content-Length, ETag and Last-Modified) is not copied
 * again after a copy (ms), at most half of the copy's servable window: its stored time (`Age`) may lag
 * by as much, its content never does.
 */
const renewMs = 60_000;

/** A copy taken as its response arrived (a clone), and what its record needs. */
interface Copy {
	request: Request;
	response: Response;
	clone: Response;
	found: string | Promise<string>;
	plan: Timing;
	now: number;
	start: number;
}

/**
 * A read's deadline (`networkTimeoutMs`), per call: made by the wrapper, armed by the layer at the
 * first attempt when a copy may answer.
 */
interface Slow {
	/** The deadline, in ms from `start` (injected clock). */
	readonly ms: number;
	readonly start: number;
	/** Resolves the call's promise (the wrapper's) before its run ends. */
	readonly answer: (response: Response) => void;
	/** The run and what the wrapper makes of it (never rejects): a Worker's `waitUntil` keeps it when the copy answers. */
	run?: Promise<unknown>;
	timer?: ReturnType<typeof setTimeout> | undefined;
	/** The call has its answer (the run's, or the copy's): no copy answers it any more. */
	done?: boolean;
	/** The copy answered: the run's outcome is written or let go, never answered. */
	early?: boolean;
	/** In Workers without `waitUntil`: aborted when the copy answers, and with it every attempt of the run (see the layer). */
	cut?: AbortController;
	/** The first attempt's Request and its key, made once (the key costs as much as the rest of the deadline): the copy of its answer is taken under it. */
	request?: Request;
	key?: string | Promise<string> | undefined;
}

/**
 * The stale cache (see `CacheOptions` and API.md "Responses served from the stale cache").
 *
 * Per attempt (the layer): a good GET response is copied as it arrives (before ky or the caller
 * read its body); once the wrapper saw the call resolve with it, the copy is written behind the
 * caller through `background` (a Worker's `waitUntil`). A successful POST, PUT, PATCH or DELETE
 * drops the URL's copies, even with `staleCache: false`: mutations have no wrapper. Offline, a GET
 * or HEAD is answered from the store without network I/O. Around a GET or HEAD (the wrapper): a
 * failure `reasons` names is answered from a usable copy, else rethrown unchanged; and one still
 * unanswered `networkTimeoutMs` after it started is answered by its copy while its run goes on
 * (`Slow`: the timer is armed at the first attempt only when `order` knows the key, or before the
 * store was listed, and the record is read only when it fires; in Workers without `waitUntil` the
 * run's attempts are aborted when the copy answers).
 *
 * Storage is `partStore`'s: one record per key (`keys.ts`), no index. The client keeps its view of
 * the stored keys in memory (`order`), listed from the store at the first write and whenever it
 * grows past `maxEntries`, when the least recently stored or served go. Nothing waits on storage
 * on a call's way to a good answer, and no promise is kept across calls.
 */
export const createCache = (context: PolicyContext, { maxStaleMs, networkTimeoutMs, maxEntries, maxBodyBytes, shared }: ResolvedCacheOptions): CacheParts => {
	const { clock } = context;
	const store = partStore(context, 'cache', autoStore);
	const { headers: sensitive, params } = sensitiveOf(context);
	const notStored = new Set([...dropped, ...sensitive]);
	const key = keys(context, shared);
	/** This client's view of the stored keys, least recently stored or served first, with when it stored each (0: found in the store). */
	let order = new Map<string, number>();
	/** Whether `order` holds what the store listed (at the first write); whether an eviction is under way (one at a time). */
	let listed = false;
	let evicting = false;
	/** Bumped by every invalidation and clear: a copy taken before one is not written after it. */
	let epoch = 0;
	/** The copy taken of each call's response, until the call's outcome is known. */
	const copies = new WeakMap<PolicyCall, Copy>();
	/** Each call's deadline (see `Slow`). */
	const slows = new WeakMap<PolicyCall, Slow>();
	/** What each key's last copy was (`signature`), and until when an unchanged answer is not copied again. */
	const copiedAs = new Map<string, { sig: string; renew: number }>();

	/** Background work of a call (see `background`). */
	const behind = (call: PolicyCall, url: string, work: () => Promise<unknown>): void => {
		background(context, 'cache', call.waitUntil, work, url);
	};

	const touch = (stored: string, at = order.get(stored) ?? 0): void => {
		order.delete(stored);
		order.set(stored, at);
	};

	/**
	 * Forget the keys that `match` now, so no copy taken before is written; then delete them — the
	 * ones this client knows (`order`) and the ones the store lists — through the part store, whose
	 * kept delete hides each from this client until the store confirms it (retried with the next
	 * write). When the store cannot list, the copies this client never knew of cannot be found: they
	 * stay stored. `strict` (clear): reject with the first failure (listing or delete), so a caller
	 * is never told they are gone when the store did not confirm it.
	 */
	const drop = async (match: (stored: string) => boolean, strict?: boolean): Promise<void> => {
		epoch++;
		const known = [...order.keys()].filter(match);
		for (const stored of known) {
			order.delete(stored);
		}

		const failures: unknown[] = [];
		const fail = (error: unknown): never[] => {
			failures.push(error);
			return [];
		};
		const found = new Set([...known, ...(await store.keys(strict).catch(fail)).filter(match)]);
		await Promise.all([...found].map(async (stored) => store.delete(stored, strict).catch(fail)));
		if (failures.length > 0) {
			throw failures[0];
		}
	};

	/** The stored copies of an absolute URL (every identity and credential) go. */
	const invalidate = (url: string): Promise<unknown> => {
		const target = redact(url, params);
		return drop((stored) => urlOf(stored) === target);
	};

	/**
	 * Past `maxEntries` (and at the first write): list the store — copies other tabs or isolates
	 * wrote count, those they removed go from the view — and remove the least recently used quarter
	 * (so the store is listed once per `maxEntries / 4` new copies, not per copy).
	 */
	const evict = async (): Promise<void> => {
		evicting = true;
		const found = new Set((await store.keys()).filter((stored) => stored.startsWith('r:')));
		listed = true;
		// Copies found in the store and not known here count as the oldest; known ones keep their place.
		order = new Map([...[...found].filter((stored) => !order.has(stored)).map((stored): [string, number] => [stored, 0]), ...[...order].filter(([stored]) => found.has(stored))]);
		const gone = order.size > maxEntries ? [...order.keys()].slice(0, order.size - maxEntries + Math.floor(maxEntries / 4)) : [];
		for (const stored of gone) {
			order.delete(stored);
		}

		for (const stored of copiedAs.keys()) {
			if (!order.has(stored)) {
				copiedAs.delete(stored);
			}
		}

		await Promise.all(gone.map(async (stored) => store.delete(stored)));
		evicting = false;
	};

	/** Write a copy behind the caller (the call resolved with its response), unless an invalidation or a clear came since it was taken. */
	const write = async (call: PolicyCall, { request, response, clone, found, plan, now, start }: Copy): Promise<void> => {
		// Read no further than maxBodyBytes (a decoded body may be longer than its Content-Length, a stream endless).
		const bytes = await readCapped(clone, maxBodyBytes);
		const stored = typeof found === 'string' ? found : await found;
		if (bytes && epoch === start) {
			const { status, statusText, headers } = response;
			const record: CacheRecord = {
				v: 2, url: urlOf(stored)!, storedAt: now, ...plan, status, statusText,
				headers: storedHeaders(headers, notStored),
				vary: (headers.get('vary') ?? '').split(',').map((name) => name.trim().toLowerCase()).filter((name) => name && !sensitive.has(name)).map((name) => [name, request.headers.get(name)]),
				body: bytes,
			};
			await store.set(stored, record);
			touch(stored, now);
			const sig = signature(response);
			if (sig === undefined) {
				copiedAs.delete(stored);
			} else {
				copiedAs.set(stored, { sig, renew: now + Math.min(renewMs, (plan.until - now) / 2) });
			}

			context.emit('cache:stored', { scope: call.scope!, method: 'GET', url: record.url, bytes: bytes.byteLength });
			if (!evicting && (!listed || order.size > maxEntries)) {
				await evict();
			}
		} else if (order.get(stored) === now) {
			order.delete(stored);
		}
	};

	/** The call's outcome, from the wrapper: a copy taken of the response it resolved with is written; any other is let go. */
	const decide = (call: PolicyCall, ok: boolean): void => {
		const copy = copies.get(call);
		if (!copy) {
			return;
		}

		copies.delete(call);
		if (ok) {
			behind(call, copy.request.url, async () => write(call, copy));
			return;
		}

		if (order.get(copy.found as string) === copy.now) {
			order.delete(copy.found as string);
		}

		void copy.clone.body?.cancel().catch(ignore);
	};

	/** What tells an unchanged answer: its status and validators (a strong ETag, else Last-Modified), when it has one. */
	const signature = ({ status, headers }: Response): string | undefined => {
		const validator = headers.get('etag') ?? headers.get('last-modified');
		return validator === null || validator.startsWith('W/') ? undefined : `${status} ${validator}`;
	};

	/**
	 * Whether to leave a good answer uncopied, decided before anything is computed or copied: its key
	 * was copied less than 1 s ago, or it is unchanged (see `signature`) since a copy taken less than
	 * `renewMs` ago — unless its own Cache-Control or Vary may forbid keeping the copy there is.
	 * Without a validator an answer is never taken for unchanged: a body of the same length may differ.
	 */
	const recent = (stored: string, response: Response, now: number): boolean => {
		const last = order.get(stored);
		if (last === undefined || /no-|\*/.test(`${response.headers.get('cache-control')}${response.headers.get('vary')}`)) {
			return false;
		}

		const copied = copiedAs.get(stored);
		return now - last < 1000 || (copied !== undefined && now < copied.renew && copied.sig === signature(response));
	};

	/** A copy of a good GET response as it arrives (a clone, before ky or the caller read its body), or undefined when none is to be kept. */
	const copyOf = (call: PolicyCall, request: Request, response: Response, slow?: Slow): Copy | undefined => {
		const { status, headers } = response;
		const found = status !== 200 && status !== 203 ? undefined : slow?.request === request && typeof slow.key === 'string' ? slow.key : key.of(request, call.identity);
		const now = clock.now();
		if (found === undefined || (typeof found === 'string' && recent(found, response, now))) {
			return undefined;
		}

		const plan = timing(request.headers, headers, shared, maxStaleMs, now);
		if (plan === false) {
			// It forbids keeping a copy: the one it would replace goes.
			behind(call, request.url, async () => {
				const stored = await found;
				return drop((other) => other === stored);
			});
		}

		if (!plan || Number(headers.get('content-length')) > maxBodyBytes) {
			return undefined;
		}

		if (typeof found === 'string') {
			touch(found, now);
		}

		return { request, response, clone: response.clone(), found: found!, plan, now, start: epoch };
	};

	/** Copy a good GET response as it arrives (`copyOf`), to write once the call resolved with it. */
	const capture = (call: PolicyCall, request: Request, response: Response, slow?: Slow): Response => {
		const copy = copyOf(call, request, response, slow);
		if (copy) {
			copies.set(call, copy);
		}

		return response;
	};


	/**
	 * The attempt of a read its stored copy answered while the scope is offline, once per scope per
	 * 10 s (`context.offline`): sent behind the caller (the call's `waitUntil`), bounded by the call's
	 * `timeout` (10 s by default); its good answer replaces the copy, and any HTTP answer makes the
	 * scope reachable again. Never retried.
	 */
	const refresh = (call: PolicyCall, request: Request, init: FetchInit | undefined, next: FetchLike): void => {
		const { timeout = context.options['timeout'] } = call.options;
		const signal = AbortSignal.any([request.signal, AbortSignal.timeout(typeof timeout === 'number' && timeout > 0 ? timeout : 10_000)]);
		behind(call, request.url, async () => next(new Request(request, { signal }), init).then(async (response) => {
			const copy = call.method === 'GET' ? copyOf(call, request, response) : undefined;
			void response.body?.cancel().catch(ignore);
			return copy && write(call, copy);
		}, ignore));
	};

	/**
	 * The usable stored copy for a request, marked stale for `reason`, or undefined; with `slow`, only
	 * while that call has no answer yet (a deadline's). Never rejects.
	 */
	const serve = async (call: PolicyCall, request: Request, reason: StaleReason, slow?: Slow): Promise<Response | undefined> => {
		try {
			const stored = await key.of(request, call.identity);
			const record = stored && await store.get<unknown>(stored);
			const now = clock.now();
			if (!isRecord(record) || now > record.until) {
				if (record !== undefined) {
					if (!isRecord(record)) {
						storageError(context, 'cache', 'decode', new TypeError('Unreadable cache record'), stored);
					}

					order.delete(stored!);
					behind(call, request.url, async () => store.delete(stored!));
				}

				return undefined;
			}

			if (slow?.done || record.vary.some(([name, value]) => request.headers.get(name) !== value)) {
				return undefined;
			}

			touch(stored!);
			context.emit('cache:stale', { scope: call.scope!, method: request.method, url: record.url, reason, age: ageOf(record, now) });
			return staleResponse(record, request.method, reason, now);
		} catch {
			return undefined;
		}
	};

	/** The deadline passed: a usable copy answers the call, while its run goes on (in Workers without `waitUntil`, it is cut). */
	const fire = async (call: PolicyCall, request: Request, slow: Slow): Promise<void> => {
		slow.timer = undefined;
		const stale = !slow.done && !call.signal?.aborted && await serve(call, request, 'slow', slow);
		if (stale) {
			slow.early = slow.done = true;
			slow.cut?.abort(new Superseded('A stored copy answered'));
			call.waitUntil?.(slow.run!);
			slow.answer(stale);
		}
	};

	/**
	 * At a read's first attempt: arm its deadline when a copy may answer it — its key is in `order`, or
	 * the store was not listed yet (then listed, behind the call, once) — never for a key the client
	 * knows is not stored. Nothing is read from the store until the deadline passes.
	 */
	const arm = (call: PolicyCall, request: Request, slow: Slow): void => {
		const found = key.of(request, call.identity);
		slow.request = request;
		slow.key = found;
		if (found === undefined || (listed && typeof found === 'string' && !order.has(found))) {
			return;
		}

		const scoped = requestScoped();
		if (!listed && !evicting && (call.waitUntil || !scoped)) {
			behind(call, request.url, evict);
		}

		if (scoped && !call.waitUntil) {
			slow.cut = new AbortController();
		}

		slow.timer = setTimeout(fire, Math.max(0, slow.ms - (clock.now() - slow.start)), call, request, slow);
	};

	/**
	 * A failed read answered from a usable copy, or the failure as it was. A caller's abort never is.
	 * The reason is `offline` for a network failure or timeout only while the scope is `offline`.
	 */
	const recover = async (call: PolicyCall, error: unknown): Promise<Response> => {
		const { code } = classify(error);
		const reason = (code === 'NETWORK' || code === 'TIMEOUT') && call.scope !== undefined && context.reachability(call.scope) === 'offline' ? 'offline' : reasons[call.limited ? 'SUBREQUESTS' : code];
		const stale = call.request && reason && !call.signal?.aborted && await serve(call, call.request, reason);
		if (stale) {
			return stale;
		}

		throw error;
	};

	/** With `throwHttpErrors: false` a 5xx resolves instead of throwing: a stored copy answers it too. */
	const answered = async (call: PolicyCall, response: Response): Promise<Response> => {
		const stale = call.request && await serve(call, call.request, call.limited ? 'subrequests' : 'http-5xx');
		if (!stale) {
			return response;
		}

		void response.body?.cancel().catch(ignore);
		return stale;
	};

	/**
	 * fetch's `cache` mode of the call, as ky makes its Request: the call's own, else the client's,
	 * else the one of a `Request` given as input. `'no-store'` skips the stale cache too.
	 */
	const clientCache = context.options['cache'];
	const applies = ({ method, options, input }: PolicyCall): boolean =>
		(method === 'GET' || method === 'HEAD') && options['staleCache'] !== false && (options['cache'] ?? clientCache ?? (input as Request).cache) !== 'no-store';

	const layer: Layer = (next) => (request, init) => {
		const call = init?.steadfetch;
		if (call && unsafe.has(call.method)) {
			return next(request, init).then((response) => {
				if (response.status < 400) {
					behind(call, request.url, async () => invalidate(request.url));
				}

				return response;
			});
		}

		if (!call || !applies(call)) {
			return next(request, init);
		}

		const slow = slows.get(call);
		if (slow && call.attempts === 1) {
			arm(call, request, slow);
		}

		const go = (): Promise<Response> => {
			// In Workers without waitUntil, an attempt of a read its copy may answer carries the copy's signal too (none goes out after it).
			const cut = slow?.cut?.signal;
			const sent = next(cut ? new Request(request, { signal: AbortSignal.any([request.signal, cut]) }) : request, init);
			return call.method === 'GET' ? sent.then((response) => capture(call, request, response, slow)) : sent;
		};
		// While the scope is offline, a stored copy answers at once (unseen by the breaker, never retried);
		// once per scope per 10 s the attempt still goes out, behind the caller. No copy: it goes out.
		const scope = call.scope!;
		return context.reachability(scope) === 'offline' ? serve(call, request, 'offline').then((stale) => {
			if (!stale) {
				return go();
			}

			if (!context.offline(scope)) {
				refresh(call, request, init, next);
			}

			return context.answer(call, stale);
		}) : go();
	};

	const clear = async (options?: { identity?: string }): Promise<void> => {
		epoch++;
		const prefix = options?.identity === undefined ? 'r:' : await key.who(options.identity);
		await drop((stored) => stored.startsWith(prefix), true);
	};

	context.hooks.validatorOf = async (url, identity) => {
		const prefix = await key.who(identity);
		const target = redact(url, params);
		let latest: CacheRecord | undefined;
		for (const stored of await store.keys()) {
			const record = stored.startsWith(prefix) && urlOf(stored) === target ? await store.get<unknown>(stored) : undefined;
			if (isRecord(record) && record.storedAt >= (latest?.storedAt ?? 0)) {
				latest = record;
			}
		}

		const headers = latest && new Headers(latest.headers);
		const etag = headers?.get('etag');
		const lastModified = headers?.get('last-modified');
		return headers && { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
	};

	/**
	 * Around a read: a good answer's copy is written, a failure answered from a usable copy — and with
	 * a deadline (`Slow`), a copy may answer first (the layer arms it); the run's outcome is then only
	 * written or let go. `run` (never rejecting) is what a Worker's `waitUntil` keeps.
	 */
	const wrap = (call: PolicyCall, next: () => Promise<Response>): Promise<Response> => new Promise((resolve) => {
		// The call's own (`staleCache: { networkTimeoutMs }`), else the policy's.
		const ms = (call.options['staleCache'] as { networkTimeoutMs?: number | false } | undefined)?.networkTimeoutMs ?? networkTimeoutMs;
		const slow: Slow | undefined = ms === false ? undefined : { ms, start: clock.now(), answer: resolve };
		if (slow) {
			slows.set(call, slow);
		}

		const run = next().then((response) => {
			decide(call, response?.ok === true);
			if (slow?.early) {
				void response?.body?.cancel().catch(ignore);
			} else {
				resolve(response && classifyStatus(response.status)?.code === 'HTTP_5XX' ? answered(call, response) : response);
			}
		}, (error: unknown) => {
			decide(call, false);
			if (!slow?.early) {
				resolve(recover(call, error));
			}
		});
		if (slow) {
			slow.run = run.finally(() => {
				slow.done = true;
				clearTimeout(slow.timer);
			});
		}
	});

	return {
		layer,
		wrap,
		appliesTo: applies,
		substituted: (response) => isStale(response) ? 'stale' : undefined,
		clear,
		members: {
			cache: {
				async delete(url) {
					await invalidate(callUrl(url, context.options));
				},
				clear: () => clear(),
				async list() {
					const prefix = await key.who(context.identity());
					const records = await Promise.all((await store.keys()).filter((stored) => stored.startsWith(prefix)).map(async (stored) => store.get<unknown>(stored)));
					return records.filter(isRecord).map((record): CachedEntry => ({ url: record.url, status: record.status, storedAt: record.storedAt, bytes: record.body.byteLength }));
				},
			},
		},
	};
};
