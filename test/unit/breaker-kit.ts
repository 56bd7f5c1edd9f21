/** Helpers for the breaker's exact-time unit tests: a scripted transport and a client on a ManualClock. */
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { CircuitOpenError, createClient, memoryStore, type ClientOptions, type EventMap, type EventType, type KeyValueStore } from '../../src/entries/index.js';
import { emptyState, sync, type ScopeState, type SyncMessage } from '../../src/breaker/sync.js';
import { sharedCoordinator, type SharedBreaker } from '../../src/breaker/shared.js';
import { fetchHandler, type FetchEventLike } from '../../src/entries/sw.js';
import type { PolicyContext } from '../../src/core/policy.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { fakeWindow, type FakeWindow } from './outbox-helpers.js';

export const origin = 'https://api.test';

type Answer = Response | Error | 'hang';
type Script = (request: Request) => Answer;

interface Pending {
	request: Request;
	resolve(response: Response): void;
	reject(error: unknown): void;
}

/**
 * A transport whose answers the test scripts: a Response, an Error to throw, or `'hang'` (the
 * request stays pending until `settle()` or, unless `ignoreAbort`, its signal aborts).
 */
export class FakeOrigin {
	readonly requests: Request[] = [];
	readonly pending: Pending[] = [];
	script: Script = () => new Response('{}', { status: 200 });
	ignoreAbort = false;

	readonly fetch = async (request: Request): Promise<Response> => {
		this.requests.push(request);
		const answer = this.script(request);
		if (answer === 'hang') {
			return new Promise<Response>((resolve, reject) => {
				this.pending.push({ request, resolve, reject });
				if (!this.ignoreAbort) {
					request.signal.addEventListener('abort', () => reject(request.signal.reason));
				}
			});
		}

		if (answer instanceof Error) {
			throw answer;
		}

		return answer;
	};

	answer(status: number, headers: Record<string, string> = {}): void {
		this.script = () => new Response('{}', { status, headers });
	}

	down(): void {
		this.script = () => new TypeError('Failed to fetch');
	}

	hang(): void {
		this.script = () => 'hang';
	}

	up(): void {
		this.answer(200);
	}

	/** Settle every hanging request. */
	settleAll(answer: Response | Error): void {
		for (const { resolve, reject } of this.pending.splice(0)) {
			if (answer instanceof Error) {
				reject(answer);
			} else {
				resolve(answer.clone());
			}
		}
	}
}

/**
 * A page's client behind a steadfetch service worker: the worker's client over a FakeOrigin (`server`), made in a
 * service worker's global (`ServiceWorkerGlobalScope` exposed while it is made) over `memoryStore(name)`, behind its
 * `fetchHandler` (every request); and the page's (`${name}-page`), whose `fetch` is that handler, as a page's requests
 * reach its worker. Both without retries or a breaker, the page without a stale cache, unless `workerOptions` or
 * `pageOptions` say; both closed with `clients`.
 */
export const pageBehindWorker = (clients: Array<{ close(): void }>, name: string, workerOptions: ClientOptions = {}, pageOptions: ClientOptions = {}) => {
	const server = new FakeOrigin();
	const g = globalThis as { ServiceWorkerGlobalScope?: unknown };
	g.ServiceWorkerGlobalScope = class {};
	const worker = createClient({ name, store: () => memoryStore(name), fetch: server.fetch as typeof fetch, retry: 0, breaker: false, ...workerOptions });
	delete g.ServiceWorkerGlobalScope;
	clients.push(worker);
	const handle = fetchHandler(worker, { match: () => true });
	const viaWorker = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
		let answer: Promise<Response> | undefined;
		const event: FetchEventLike = { request: new Request(input, init), respondWith: (response) => {
			answer = Promise.resolve(response);
		} };
		handle(event);
		return answer!;
	};

	const page = createClient({ name: `${name}-page`, fetch: viaWorker as typeof fetch, retry: 0, staleCache: false, breaker: false, ...pageOptions });
	clients.push(page);
	return { server, worker, page };
};

/**
 * For each test of the file, a page a service worker controls (`navigator.serviceWorker.controller` stubbed: only there
 * is an answer read as the worker's copy); the list returned takes the clients a test makes: after the test, the stub
 * goes, then each is closed.
 */
export const controlledPageEachTest = (): Array<{ close(): void }> => {
	const clients: Array<{ close(): void }> = [];
	beforeEach(() => {
		vi.stubGlobal('navigator', { userAgent: navigator.userAgent, serviceWorker: { controller: {} } });
	});

	afterEach(() => {
		vi.unstubAllGlobals();
		for (const client of clients.splice(0)) {
			client.close();
		}
	});
	return clients;
};

let names = 0;

/** A client over a FakeOrigin and a ManualClock: no retries, no stale cache, no sharing unless asked. */
export const setup = (options: ClientOptions = {}) => {
	const clock = new ManualClock();
	const server = new FakeOrigin();
	const events: { type: string; reason?: string; reopensAt?: number; time: number; scope: string; operation?: string }[] = [];
	const api = createClient({
		clock,
		random: () => 0.5, // open periods without jitter (±20 % around 0.5): exact times
		fetch: server.fetch as typeof fetch,
		store: memoryStore,
		retry: 0,
		staleCache: false,
		name: `unit-${names++}`,
		...options,
		breaker: options.breaker === false ? false : { share: false, openMs: 30_000, ...options.breaker as object },
	});
	for (const type of ['breaker:open', 'breaker:half-open', 'breaker:closed', 'storage:error'] as EventType[]) {
		api.on(type, (event: EventMap[EventType]) => events.push(event as never));
	}

	/** Make a call; resolves with the status, or the error's name/code. */
	const call = async (path = '/x', callOptions: Parameters<typeof api.get>[1] = {}): Promise<string> => {
		try {
			const response = await api.get(origin + path, { throwHttpErrors: false, ...callOptions });
			return String(response.status);
		} catch (error) {
			const { code } = error as { code?: unknown };
			return typeof code === 'string' ? code : (error as Error).name;
		}
	};

	const state = () => api.breaker(origin).state;
	return { api, clock, server, events, call, state, snapshot: () => api.breaker(origin) };
};

/** Run `n` calls one after the other. */
export const times = async (n: number, run: () => Promise<string>): Promise<string[]> => {
	const results: string[] = [];
	for (let index = 0; index < n; index++) {
		results.push(await run());
	}

	return results;
};

/** Let queued microtasks and I/O callbacks run. */
export const flush = async (): Promise<void> => new Promise((resolve) => {
	setTimeout(resolve, 0);
});

/**
 * A fake window (a page) for each test of the file, handed to `use` if given; the list returned takes the
 * clients a test makes: after the test, each is closed, then the window restored.
 */
export const windowEachTest = (use?: (win: FakeWindow) => void): Array<{ close(): void }> => {
	const clients: Array<{ close(): void }> = [];
	let win: FakeWindow;
	beforeEach(() => {
		win = fakeWindow();
		use?.(win);
	});
	afterEach(() => {
		for (const client of clients.splice(0)) {
			client.close();
		}

		win.restore();
	});
	return clients;
};

/**
 * Tabs (or a page and its reloads) of one name and store, on one clock (at 1_700_000_000_000):
 * `pages(store?)` gives a name; its `open()` makes a client of it, kept in `clients` (closed after each
 * test), its breaker shared, its origin answering 503; `events` lists the breaker events it heard.
 */
export const tabPages = (clients: Array<{ close(): void }>, prefix: string) => {
	let names = 0;
	return (store: KeyValueStore = memoryStore(prefix)) => {
		const clock = new ManualClock(1_700_000_000_000);
		const name = `${prefix}-${names++}`;
		const open = (breakerOptions: object = {}, clientOptions: object = {}) => {
			const server = new FakeOrigin();
			server.answer(503);
			const events: string[] = [];
			const api = createClient({ clock, random: () => 0.5, name, store: () => store, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { share: true, ...breakerOptions }, ...clientOptions });
			clients.push(api);
			for (const type of ['breaker:open', 'breaker:half-open', 'breaker:closed', 'storage:error'] as const) {
				api.on(type, (event) => events.push(`${type} ${'reason' in event ? event.reason : event.operation}`));
			}

			const call = async (url = `${origin}/x`): Promise<string> => api.get(url).then((response) => String(response.status), (error: { code?: unknown; name: string }) => (typeof error.code === 'string' ? error.code : error.name));
			return { api, server, events, call, snapshot: () => api.breaker(origin) };
		};

		return { clock, store, open };
	};
};

/**
 * Three calls of `tab` made while its probe hangs (the first of them, or `breaker.probe`): none settles before the probe
 * failed (a network failure), then all do. Their results.
 */
export const probeFails = async (tab: { call(): Promise<string>; server: FakeOrigin }): Promise<string[]> => {
	let settled = 0;
	const calls = [tab.call(), tab.call(), tab.call()].map(async (calling) => calling.finally(() => settled++));
	await vi.waitFor(() => expect(tab.server.pending).toHaveLength(1));
	await flush();
	expect(settled).toBe(0);
	tab.server.settleAll(new TypeError('Failed to fetch'));
	return Promise.all(calls);
};

/** The time every page of `sharedPages` starts at. */
export const t0 = 1_700_000_000_000;

/**
 * Pages (a page and its reloads, or tabs) of one name and store on one clock (at `t0`), named `<prefix>-<n>`:
 * `page(options?, store?)`'s `open(breakerOptions?)` makes a client of it (kept in `clients`), its breaker
 * shared (`openMs` 30 000) over a FakeOrigin of its own; `events` lists its breaker events (`open <reason>`…),
 * `call(init?)` GETs `${origin}/x`: its status, or its error's code (else name). `openedAndClosed` gives a
 * page whose breaker opened on network failures (stored), closed: its next `open()` is its reload.
 */
export const sharedPages = (clients: Array<{ close(): void }>, prefix: string) => {
	let names = 0;
	const page = (options: ClientOptions & { random?: () => number } = {}, store: KeyValueStore = memoryStore(prefix)) => {
		const clock = new ManualClock(t0);
		const name = `${prefix}-${names++}`;
		const open = (breakerOptions: object = {}) => {
			const server = new FakeOrigin();
			const events: string[] = [];
			const api = createClient({ clock, random: () => 0.5, name, store: () => store, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, ...options, breaker: { share: true, openMs: 30_000, ...breakerOptions } });
			clients.push(api);
			for (const type of ['breaker:open', 'breaker:half-open', 'breaker:closed'] as const) {
				api.on(type, (event) => events.push(`${type.slice(8)} ${event.reason}`));
			}

			const call = async (init: { signal?: AbortSignal } = {}): Promise<string> => api.get(`${origin}/x`, init).then((response) => String(response.status), (error: { code?: unknown; name: string }) => (typeof error.code === 'string' ? error.code : error.name));
			return { api, server, events, call, snapshot: () => api.breaker(origin) };
		};

		return { clock, store, open };
	};

	/** With `options.staleCache`, a copy of `/x` is stored first. */
	const openedAndClosed = async (breakerOptions: object = {}, options: ClientOptions = {}) => {
		const made = page(options);
		const before = made.open(breakerOptions);
		if (options.staleCache) {
			expect(await before.call()).toBe('200'); // a copy stored
			await vi.waitFor(async () => expect((await before.api.cache.list()).length).toBe(1));
		}

		before.server.down();
		await times(5, async () => before.call());
		await vi.waitFor(async () => expect(await made.store.get(origin)).toMatchObject({ state: 'open', unanswered: true, reopensAt: t0 + 30_000 }));
		before.api.close();
		return made;
	};

	return { page, openedAndClosed };
};

/**
 * A coordinator in memory over the shared state machine (what the Durable Object, Deno KV and Redis run), on the
 * test's clock (`skewMs`: its own clock that far ahead, or behind; `older`: each message without its `jitter`, as
 * an older isolate sends it); `states` its records by scope, `syncs` the messages it took, `asks` the probe requests.
 */
export const memoryCoordinator = (clock: ManualClock, skewMs = 0, older = false): SharedBreaker & { states: Map<string, ScopeState>; syncs: number; asks: number } => {
	const states = new Map<string, ScopeState>();
	const coordinator = Object.assign(sharedCoordinator(async (scope, message) => {
		coordinator.syncs++;
		coordinator.asks += (message as SyncMessage).probe ? 1 : 0;
		const state = states.get(scope) ?? emptyState(scope);
		states.set(scope, state);
		const { jitter: _, ...old } = message as SyncMessage;
		return structuredClone(sync(state, (older ? old : message) as SyncMessage, clock.now() + skewMs));
	}), { states, syncs: 0, asks: 0 });
	return coordinator;
};

type Key = readonly (string | number)[];
/** A Deno KV in memory: versionstamps, atomic check-and-set. */
export const memoryKv = () => {
	const entries = new Map<string, { value: unknown; versionstamp: string }>();
	let stamps = 0;
	const idOf = (key: Key): string => JSON.stringify(key);
	return {
		entries,
		get: async (key: Key) => ({ key, value: entries.get(idOf(key))?.value ?? null, versionstamp: entries.get(idOf(key))?.versionstamp ?? null }),
		set: async (key: Key, value: unknown) => entries.set(idOf(key), { value: structuredClone(value), versionstamp: String(++stamps) }),
		delete: async (key: Key) => entries.delete(idOf(key)),
		list: async function* () {},
		atomic() {
			const checks: Array<{ key: Key; versionstamp: string | null }> = [];
			const sets: Array<[Key, unknown]> = [];
			const atomic = {
				check: (...each: typeof checks) => atomic && checks.push(...each) && atomic,
				set: (key: Key, value: unknown) => atomic && sets.push([key, value]) && atomic,
				commit: async () => {
					if (checks.some(({ key, versionstamp }) => (entries.get(idOf(key))?.versionstamp ?? null) !== versionstamp)) {
						return { ok: false };
					}

					for (const [key, value] of sets) {
						entries.set(idOf(key), { value: structuredClone(value), versionstamp: String(++stamps) });
					}

					return { ok: true };
				},
			};
			return atomic;
		},
	};
};

/** The least of a context a coordinator's link (`linkFleet`, `SharedBreaker.link`) uses: the clock, the subrequests, the events (`events`: `<type> <part> <operation>` of each). */
export const contextOf = (clock: ManualClock, events: string[] = []): PolicyContext => ({
	clock,
	name: 'steadfetch',
	subrequest: () => true,
	emit: (type: string, fields: { part?: string; operation?: string }) => events.push(`${type} ${fields.part} ${fields.operation}`),
}) as unknown as PolicyContext;

/** What a call to a fleet ends in: its status, `OPEN` (CircuitOpenError), or the status of an HTTPError, else the error's name. */
export const fleetOutcome = async (promise: Promise<Response>): Promise<string> =>
	promise.then((response) => String(response.status), (error: unknown) => (error instanceof CircuitOpenError ? 'OPEN' : String((error as { response?: Response }).response?.status ?? (error as Error).name)));

/**
 * Pages for files whose `describe`s each run on pages of their own, named `<prefix>-<n>`: `inPage()`, called in a
 * `describe`, gives each of its tests a fake window (`now.win`) and its pages (`now.page`, `now.openedAndClosed`, as
 * `sharedPages` makes them); `triggers` fire recovery on that window: the device back online, the page visible again.
 */
export const pagesEachDescribe = (prefix: string) => {
	let described = 0;
	const now = {} as { win: FakeWindow } & ReturnType<typeof sharedPages>;
	const inPage = (): void => {
		const pagesOf = sharedPages(windowEachTest((made) => {
			now.win = made;
		}), `${prefix}-${described++}`);
		beforeEach(() => {
			now.page = pagesOf.page;
			now.openedAndClosed = pagesOf.openedAndClosed;
		});
	};

	const triggers = [
		{ trigger: 'online', fire: () => now.win.setOnline(true) },
		{
			trigger: 'visible',
			fire: () => {
				now.win.document.dispatchEvent(new Event('visibilitychange'));
			},
		},
	];
	return { now, inPage, triggers };
};

/**
 * A maker of tabs of one name and store on one clock (at `t0`), breakers shared (`openMs` 30 000); each tab's `events`
 * lists `type reason`, `other()` is a channel of the name's breakers as another tab (or any script of the origin) posts
 * on it. Every client and channel is closed by `clients` (`windowEachTest`).
 */
export const sharedTabs = (clients: Array<{ close(): void }>, prefix: string) => {
	let names = 0;
	return (store?: KeyValueStore) => {
		const clock = new ManualClock(t0);
		const name = `${prefix}-${names++}`;
		const kept = store ?? memoryStore(name);
		const open = (breakerOptions: object = {}) => {
			const server = new FakeOrigin();
			const events: string[] = [];
			const api = createClient({ clock, random: () => 0.5, name, store: () => kept, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { share: true, openMs: 30_000, ...breakerOptions } });
			clients.push(api);
			for (const type of ['breaker:open', 'breaker:half-open', 'breaker:closed'] as const) {
				api.on(type, (event) => events.push(`${type} ${event.reason}`));
			}

			const call = async (url = `${origin}/x`): Promise<string> => api.get(url).then((response) => String(response.status), (error: { code?: unknown; name: string }) => (typeof error.code === 'string' ? error.code : error.name));
			return { api, server, events, call };
		};

		const other = (): BroadcastChannel => {
			const channel = new BroadcastChannel(`steadfetch:${name}:breaker`);
			clients.push(channel);
			return channel;
		};

		return { clock, name, store: kept, open, other };
	};
};

/** Lets a sync through at once, or holds it until `release()` while `hold()` is on. */
export const syncGate = () => {
	const waiting: Array<() => void> = [];
	let gated = false;
	return {
		pass: async (): Promise<void> => {
			if (gated) {
				await new Promise<void>((resolve) => waiting.push(resolve));
			}
		},
		hold: () => {
			gated = true;
		},
		held: () => waiting.length,
		release: () => {
			gated = false;
			for (const go of waiting.splice(0)) {
				go();
			}
		},
	};
};
