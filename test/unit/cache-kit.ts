/** Shared setup of the cache unit tests: a programmable loopback origin, an injected clock, one store per kit. */
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import { createClient, isStale, memoryStore, type CallOptions, type ClientOptions, type KeyValueStore } from '../../src/entries/index.js';
import type { EventMap, EventType } from '../../src/core/event-types.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { mapStore } from '../helpers/test-stores.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

/**
 * The origin answers any path with JSON `{ n, path, lang }` (n counts hits of the path); query
 * parameters set the response: `cc` (Cache-Control), `vary`, `lm` (Last-Modified), `status`, `size` (a body of that many
 * bytes), `etag=hit` (an ETag that changes with every hit), `age`, `length=1` (a `Content-Length`;
 * the body is chunked without it); the request header `x-cc` also sets Cache-Control (same URL,
 * another answer), `x-etag` the ETag.
 */
export interface CacheKit {
	url: string;
	clock: ManualClock;
	store: KeyValueStore;
	hits(path: string): number;
	/** `up`, `refuse` (the transport throws a TypeError before I/O), or a status for every request. */
	mode: 'up' | 'refuse' | number;
	/** While set, the origin waits for it before answering. */
	gate: Promise<void> | undefined;
	make(options?: ClientOptions): ReturnType<typeof createClient>;
	/**
	 * Runs `work` with `mode` at `refuse`, then sets it back to `up`. Runs that overlap (an `expect.poll` whose last try
	 * is still going when a new one starts) keep it at `refuse` until the last of them ends: the first to end never lets
	 * another's request through.
	 */
	refusing<T>(work: () => Promise<T>): Promise<T>;
	/** Whether a call to `path` (with these options) is answered stale while the transport refuses. */
	servedStale(api: ReturnType<typeof createClient>, path: string, options?: CallOptions): Promise<boolean>;
}

/**
 * The kit of a test file: its origin starts before the file's tests and stops after them; after
 * each test the origin is up and not gated, the store is a fresh one, timers and globals are real.
 */
export const useCacheKit = (): CacheKit => {
	const kit = newKit();
	beforeAll(kit.start);
	afterAll(kit.close);
	afterEach(() => {
		kit.mode = 'up';
		kit.gate = undefined;
		kit.store = memoryStore('cache-test');
		vi.useRealTimers();
		vi.unstubAllGlobals();
	});
	return kit;
};

const newKit = (): CacheKit & { start(): Promise<void>; close(): Promise<void> } => {
	const hits = new Map<string, number>();
	let server: RunningServer | undefined;
	let refusals = 0;
	const kit: ReturnType<typeof newKit> = {
		url: '',
		clock: new ManualClock(),
		store: memoryStore('cache-test'),
		hits: (path) => hits.get(path) ?? 0,
		mode: 'up',
		gate: undefined,
		make(options = {}) {
			const transport = async (input: unknown, init?: RequestInit): Promise<Response> => {
				const request = input as Request;
				if (kit.mode === 'refuse') {
					throw new TypeError('fetch failed');
				}

				return globalThis.fetch(request, init);
			};

			return createClient({
				baseUrl: kit.url + '/', clock: kit.clock, store: () => kit.store, retry: 0, breaker: false, fetch: transport, ...options,
			});
		},
		async refusing(work) {
			refusals++;
			kit.mode = 'refuse';
			try {
				return await work();
			} finally {
				refusals--;
				if (refusals === 0) {
					kit.mode = 'up';
				}
			}
		},
		async servedStale(api, path, options = {}) {
			return kit.refusing(async () => isStale(await api.get(path, options))).catch(() => false);
		},
		async start() {
			server = await serve(answer);
			kit.url = server.url;
		},
		close: async () => server?.close(),
	};
	const answer = async (request: Request): Promise<Response> => {
		const url = new URL(request.url);
		const n = (hits.get(url.pathname) ?? 0) + 1;
		hits.set(url.pathname, n);
		await kit.gate;
		const parameters = url.searchParams;
		const headers: Record<string, string> = { 'content-type': 'application/json' };
		for (const [name, header] of [['cc', 'cache-control'], ['vary', 'vary'], ['age', 'age'], ['lm', 'last-modified']] as const) {
			const value = parameters.get(name);
			if (value !== null) {
				headers[header] = value;
			}
		}

		const cacheControl = request.headers.get('x-cc');
		if (cacheControl !== null) {
			headers['cache-control'] = cacheControl;
		}

		if (parameters.get('etag') === 'hit') {
			headers['etag'] = `"${n}"`;
		}

		const etag = request.headers.get('x-etag');
		if (etag !== null) {
			headers['etag'] = etag;
		}

		const status = typeof kit.mode === 'number' ? kit.mode : Number(parameters.get('status') ?? 200);
		const size = parameters.get('size');
		const body = size ? 'x'.repeat(Number(size)) : JSON.stringify({ n, path: url.pathname, lang: request.headers.get('accept-language') });
		if (parameters.get('length') === '1') {
			headers['content-length'] = String(new TextEncoder().encode(body).byteLength);
		}

		return new Response(status === 204 || request.method === 'HEAD' ? null : body, { status, headers });
	};
	return kit;
};

/** The `Cache-Status` of a GET of `path` answered while `kit`'s origin refuses (a stale answer, or none). */
export const staleStatus = async (kit: CacheKit, api: { get(path: string): Promise<Response> }, path: string): Promise<string | null> =>
	kit.refusing(async () => (await api.get(path)).headers.get('cache-status'));

/** Give write-behind work that is not awaited time to land (30 ms of real time). */
export const quiet = async (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));

/** The next event of a type. */
export const next = async <T extends EventType>(api: { on: ReturnType<typeof createClient>['on'] }, type: T): Promise<EventMap[T]> =>
	new Promise((resolve) => {
		const off = api.on(type, (event) => {
			off();
			resolve(event);
		});
	});

/** `api`'s GET of `path`, read whole; the `cache:stored` event of the next copy stored (its copy, once written behind). */
export const fetchAndStore = async (api: ReturnType<CacheKit['make']>, path: string) => {
	const stored = next(api, 'cache:stored');
	await api.get(path).text();
	return stored;
};

/** Every event of a type, as they come. */
export const collect = <T extends EventType>(api: { on: ReturnType<typeof createClient>['on'] }, type: T): EventMap[T][] => {
	const events: EventMap[T][] = [];
	api.on(type, (event) => events.push(event));
	return events;
};

/** Let write-behind work settle (storage queues, body reads). */
export const settle = async (): Promise<void> => {
	for (let index = 0; index < 5; index++) {
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
};

/**
 * A fetch over the real one that records each request's path and `Authorization` (`sent`) and holds the
 * request to `holdPath` until `open()` (a slot or a token held while something changes).
 */
export const holdingFetch = (holdPath: string): { fetch: typeof globalThis.fetch; sent: Array<[string, string | null]>; open: () => void } => {
	const sent: Array<[string, string | null]> = [];
	let open!: () => void;
	const held = new Promise<void>((resolve) => {
		open = resolve;
	});
	const fetch = (async (input: unknown, init?: RequestInit) => {
		const request = input as Request;
		const path = new URL(request.url).pathname;
		sent.push([path, request.headers.get('authorization')]);
		if (path === holdPath) {
			await held;
		}

		return globalThis.fetch(request, init);
	}) as typeof globalThis.fetch;
	return { fetch, sent, open };
};

/**
 * A memory store whose reads take their value when they begin (an IndexedDB read's snapshot) and then, while
 * `hold()` is in force, wait for `release()` before answering; `reading()` tells whether a read has begun.
 */
export const gatedReads = (name = 'cache-test'): { inner: KeyValueStore; store: KeyValueStore; reading: () => boolean; hold: () => void; release: () => void } => {
	const inner = memoryStore(name);
	let gate: Promise<void> | undefined;
	let open = (): void => {};
	let began = false;
	const store: KeyValueStore = {
		...inner,
		async get<T>(key: string) {
			const value = await inner.get<T>(key);
			began = true;
			await gate;
			return value;
		},
	};
	const hold = (): void => {
		gate = new Promise((resolve) => {
			open = resolve;
		});
	};

	const release = (): void => {
		open();
		gate = undefined;
	};

	return { inner, store, reading: () => began, hold, release };
};

/** A 200 whose headers and `first` chunk arrive, then its body errors (as fetch's stream does on a connection reset). */
export const resetMidway = (first: string): Response => {
	let sent = false;
	return new Response(new ReadableStream({
		pull(controller) {
			if (sent) {
				controller.error(new TypeError('network error: connection reset'));
			} else {
				sent = true;
				controller.enqueue(new TextEncoder().encode(first));
			}
		},
	}), { headers: { 'content-type': 'application/json' } });
};

/** What `answering`'s origin answers: a body (or a Response made per request), its headers and status. */
export interface Answer {
	body?: string | null;
	headers?: Record<string, string>;
	status?: number;
	response?: () => Response;
}

/** The time the `answering` clients start at (epoch ms), and the URL the hunts' copies are of. */
export const t0 = 1_700_000_000_000;
export const copiedUrl = 'https://a.test/x';

/**
 * A client `name` (maxBodyBytes 100) over `records` whose origin answers `state.answer`, or fails as a dropped connection
 * while `down`; `options` are the client's besides (an `identity`).
 */
export const answering = (name: string, records: Map<string, unknown>, clock = new ManualClock(t0), options: ClientOptions = {}) => {
	const state = { down: false, answer: {} as Answer };
	const api = createClient({
		name, clock, store: mapStore(records), retry: 0, breaker: false, staleCache: { maxBodyBytes: 100 }, ...options,
		fetch: (async () => {
			if (state.down) {
				throw new TypeError('fetch failed');
			}

			const { body = 'v1', headers = {}, status = 200, response } = state.answer;
			return response?.() ?? new Response(body, { status, headers });
		}) as typeof fetch,
	});
	return { api, clock, state };
};

/** The stale answer's `Cache-Status` and body, 'fresh', or the error's name. */
export const outcome = async (api: ReturnType<typeof createClient>, url = copiedUrl): Promise<string> =>
	api.get(url).then(async (response) => isStale(response) ? `${response.headers.get('cache-status')} ${await response.text()}` : 'fresh', (error: Error) => error.name);

/**
 * A copy of `copiedUrl` stored (`max-age=60`) by a client `name`, then `gapMs` (5 s) on (with a new client over the same
 * store when `reload`) an answer `then` to a request with `requestHeaders`: what the caller read of it, and 60 s on with
 * the origin down the stale answer's `Cache-Status` and body (or the error's name).
 */
export const afterNewer = async (name: string, then: Answer, { gapMs = 5000, reload = false, requestHeaders = {} }: { gapMs?: number; reload?: boolean; requestHeaders?: Record<string, string> } = {}): Promise<[string, string]> => {
	const records = new Map<string, unknown>();
	let { api, clock, state } = answering(name, records);
	state.answer = { body: 'v1', headers: { 'cache-control': 'max-age=60' } };
	const stored = next(api, 'cache:stored');
	await api.get(copiedUrl).text();
	await stored;
	if (reload) {
		api.close();
		({ api, clock, state } = answering(name, records));
	}

	clock.advance(gapMs);
	state.answer = then;
	const seen = await api.get(copiedUrl, { headers: requestHeaders }).text().then((text) => text.slice(0, 8), (error: Error) => error.name);
	await settle();
	clock.advance(60_000);
	state.down = true;
	const after = await outcome(api);
	api.close();
	return [seen, after];
};

/**
 * Two clients of one name over `records` (two tabs, on `clock`): `b` listed the store at its first copy (of another URL),
 * then 5 s on `a` stored a copy of `copiedUrl` (`max-age=60`); 5 s on, `b` (after `beforeThen`, a change of its own) gets
 * `then` for it. What `b` read of it (its first 8 characters, or the error's name), whether a copy of the URL is left in
 * `records`, and 60 s on with the origin down what `b` and `a` answer; both closed.
 */
export const afterOtherTabsCopy = async (
	records: Map<string, unknown>,
	clock: ManualClock,
	a: ReturnType<typeof answering>,
	b: ReturnType<typeof answering>,
	then: Answer,
	beforeThen = (): void => undefined,
): Promise<{ seen: string; left: boolean; after: [string, string] }> => {
	b.state.answer = { body: 'other' };
	const listed = next(b.api, 'cache:stored');
	await b.api.get('https://a.test/other').text();
	await listed;
	await settle();
	clock.advance(5000);
	a.state.answer = { body: 'v1', headers: { 'cache-control': 'max-age=60' } };
	const stored = next(a.api, 'cache:stored');
	await a.api.get(copiedUrl).text();
	await stored;
	clock.advance(5000);
	beforeThen();
	b.state.answer = then;
	const seen = await b.api.get(copiedUrl).text().then((text) => text.slice(0, 8), (error: Error) => error.name);
	await settle();
	const left = [...records.keys()].some((key) => key.endsWith(copiedUrl));
	clock.advance(60_000);
	a.state.down = b.state.down = true;
	const after: [string, string] = [await outcome(b.api), await outcome(a.api)];
	a.api.close();
	b.api.close();
	return { seen, left, after };
};

/**
 * A client over `records` on `clock`, its base `baseUrl`, whose transport fails as a dropped connection while `state.down`
 * (no retries, no breaker): a copy stored while up answers when down.
 */
export const downable = (baseUrl: string, name: string, records: Map<string, unknown>, clock: ManualClock, options: ClientOptions = {}) => {
	const state = { down: false };
	const api = createClient({
		name, clock, store: mapStore(records), retry: 0, breaker: false, baseUrl: `${baseUrl}/`, ...options,
		fetch: (async (input: Request, init?: RequestInit) => {
			if (state.down) {
				throw new TypeError('fetch failed');
			}

			return globalThis.fetch(input, init);
		}) as typeof fetch,
	});
	return { api, state };
};

/** A GET of `path`: the stale answer's `Cache-Status` and body, 'fresh <body>', or the error's name. */
export const staleOrFresh = async (api: ReturnType<typeof createClient>, path: string): Promise<string> =>
	api.get(path).then(async (response) => `${isStale(response) ? response.headers.get('cache-status') : 'fresh'} ${await response.text()}`, (error: Error) => error.name);
