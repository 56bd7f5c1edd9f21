/** Shared setup of the outbox unit tests: a loopback API, a manual clock, one store that survives "reloads". */
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { createClient, memoryStore, OutboxQueuedError, type Client, type ClientOptions, type KeyValueStore, type OutboxEntry, type OutboxOptions, outbox, type OutboxPolicy } from '../../src/entries/index.js';
import type { EmittedEvent, EventType } from '../../src/core/event-types.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { createHandler, createState, type TestServerState } from '../helpers/server-handler.js';

export interface Seen {
	method: string;
	url: string;
	headers: Record<string, string>;
	body: string;
}

/** A client's options for the harness: its outbox is always on, `outbox` taking the outbox's options. */
export type HarnessOptions = Omit<ClientOptions, 'outbox'> & { outbox?: OutboxOptions | true };

export interface Harness {
	api: RunningServer;
	state: TestServerState;
	clock: ManualClock;
	store: KeyValueStore;
	/** Every request that left a client made by `make` (a spy around the real fetch). */
	seen: Seen[];
	/** The writes (no GET) of entry `id` (its URL has `id=<id>`) that left a client made by `make`. */
	sentOf(id: string): Seen[];
	/** A client on the harness's store and clock; `outbox` is the outbox's options (`baseBackoffMs` 1 000 unless given). */
	make(options?: HarnessOptions): Client<{ outbox: OutboxPolicy }>;
	/** Events of a client, by type. */
	record(client: Client, ...types: EventType[]): Array<EmittedEvent>;
	close(): Promise<void>;
}

export const startHarness = async (): Promise<Harness> => {
	const state = createState();
	const api = await serve(createHandler(state));
	const clock = new ManualClock();
	const store = memoryStore('outbox-test');
	const seen: Seen[] = [];
	const clients: Client<{ outbox: OutboxPolicy }>[] = [];
	/**
	 * The client always hands its transport a Request. While the device is offline
	 * (`fakeWindow().setOnline(false)`), nothing leaves it: the fetch fails as a browser's does.
	 */
	const spy = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
		if (deviceOffline) {
			throw new TypeError('Failed to fetch');
		}

		const request = input as Request;
		const headers: Record<string, string> = {};
		request.headers.forEach((value, key) => {
			headers[key] = value;
		});
		const body = request.body ? await request.clone().text() : '';
		seen.push({ method: request.method, url: request.url, headers, body });
		return fetch(request, init);
	};

	return {
		api, state, clock, store, seen,
		sentOf: (id) => seen.filter((request) => request.url.includes(`id=${id}`) && request.method !== 'GET'),
		make(options = {}) {
			const client = createClient({
				baseUrl: api.url + '/', clock, random: () => 0.5, store: () => store, fetch: spy,
				retry: 0, retryBudget: false, breaker: false, staleCache: false,
				...options,
				// A drain because a scope came back starts at once (no `resumeJitterMs`: tested on its own).
				outbox: outbox({ baseBackoffMs: 1000, resumeJitterMs: 0, ...(options.outbox === true ? {} : options.outbox) }),
			});
			clients.push(client);
			return client;
		},
		record(client, ...types) {
			const events: Array<EmittedEvent> = [];
			for (const type of types) {
				client.on(type, (event) => events.push(event));
			}

			return events;
		},
		async close() {
			for (const client of clients) {
				client.close();
			}

			await api.close();
		},
	};
};

/** The entry id of the write `promise` makes, which must be told "queued" (an OutboxQueuedError). */
export const queued = async (promise: Promise<unknown>): Promise<string> => {
	const error = await promise.then(() => undefined, (caught: unknown) => caught);
	expect(error).toBeInstanceOf(OutboxQueuedError);
	return (error as OutboxQueuedError).entryId;
};

/** Wait until `condition()` holds (real time, polling), or fail after `ms`. */
export const until = async (condition: () => boolean | Promise<boolean>, ms = 3000): Promise<void> => {
	const deadline = Date.now() + ms;
	while (!(await condition())) {
		if (Date.now() > deadline) {
			throw new Error('Timed out waiting for a condition');
		}

		await new Promise((resolve) => setTimeout(resolve, 5));
	}
};

/** Whether the harness's transport fails as an offline device's does (`fakeWindow().setOnline`). */
let deviceOffline = false;

/** For a test's own transport: fail as an offline device's fetch does while `fakeWindow()` says offline. */
export const throwIfOffline = (): void => {
	if (deviceOffline) {
		throw new TypeError('Failed to fetch');
	}
};

/**
 * A todo API for a test's own transport: fails as an offline device's fetch does (`throwIfOffline`), else hands each
 * request to `note` (awaited) and answers a POST 201 `{ id }` (ids from 100 on, one more each), anything else 200 `{ ok: true }`.
 */
export const todoApi = (note: (request: Request) => void | Promise<void>) => {
	let nextId = 100;
	return async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
		throwIfOffline();
		const request = input as Request;
		await note(request);
		return request.method === 'POST' ? Response.json({ id: nextId++ }, { status: 201 }) : Response.json({ ok: true });
	};
};

/**
 * A test's own transport that fails as the network does (a `TypeError`) while `net.offline`, else notes each request
 * in `sent` (as `note` reads it: method and path by default) and answers as `answer` does (by default a 201 with
 * `{ id: 5 }` to a POST, a 204 to anything else).
 */
export const offlineFetch = <T = string>(
	answer: (request: Request) => Response | Promise<Response> = (request) => request.method === 'POST' ? Response.json({ id: 5 }, { status: 201 }) : new Response(null, { status: 204 }),
	note: (request: Request) => T | Promise<T> = (request) => `${request.method} ${new URL(request.url).pathname}` as T,
) => {
	const net = { offline: true };
	const sent: T[] = [];
	const fetch = async (given: string | URL | Request): Promise<Response> => {
		if (net.offline) {
			throw new TypeError('Failed to fetch');
		}

		const request = given as Request;
		sent.push(await note(request));
		return answer(request);
	};

	return { fetch, sent, net };
};

/** Make the runtime report offline/online (Node has no navigator.onLine) and dispatch window-like events. */
export const fakeWindow = () => {
	let online = true;
	const target = new EventTarget();
	const document = Object.assign(new EventTarget(), { visibilityState: 'visible' as DocumentVisibilityState });
	const g = globalThis as Record<string, unknown>;
	const saved = { addEventListener: g['addEventListener'], removeEventListener: g['removeEventListener'], document: g['document'] };
	Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => online });
	g['addEventListener'] = target.addEventListener.bind(target);
	g['removeEventListener'] = target.removeEventListener.bind(target);
	g['document'] = document;
	return {
		document,
		/**
		 * `navigator.onLine` says `value` (and the `online`/`offline` event fires, unless `fire` is false).
		 * Offline, the harness's transport fails as an offline device's does, unless `lies`: the network
		 * still works (`navigator.onLine` is wrong).
		 */
		setOnline(value: boolean, fire = true, lies = false) {
			online = value;
			deviceOffline = !value && !lies;
			if (fire) {
				target.dispatchEvent(new Event(value ? 'online' : 'offline'));
			}
		},
		/** Fire `event` at the window (a `pageshow`, say). */
		dispatch(event: Event) {
			target.dispatchEvent(event);
		},
		restore() {
			deviceOffline = false;
			delete (navigator as unknown as Record<string, unknown>)['onLine'];
			Object.assign(g, saved);
			for (const key of Object.keys(saved) as Array<keyof typeof saved>) {
				if (saved[key] === undefined) {
					delete g[key];
				}
			}
		},
	};
};

/** A fake window made by `fakeWindow()`. */
export type FakeWindow = ReturnType<typeof fakeWindow>;

/**
 * A harness and a fake window for each test of the file (or of the `describe` that calls it): before
 * it, both are made (and handed to `use`, if given); after it, timers are real again (a test may have
 * faked them), the window is restored and the harness closed. The `h` and `win` returned stand for the
 * running test's: each property read is read from them.
 */
export const harnessEachTest = (use?: (h: Harness, win: FakeWindow) => void): { h: Harness; win: FakeWindow } => {
	let h: Harness;
	let win: FakeWindow;
	beforeEach(async () => {
		h = await startHarness();
		win = fakeWindow();
		use?.(h, win);
	});
	afterEach(async () => {
		vi.useRealTimers();
		win.restore();
		await h.close();
	});
	const current = <T extends object>(of: () => T): T => new Proxy({} as T, { get: (_, key) => Reflect.get(of(), key) });
	return { h: current(() => h), win: current(() => win) };
};

/**
 * A store that passes every operation to `inner`, except where `around` steps in: each given
 * function runs in the operation's place, with the inner operation to call (or not), so a test can
 * pause a read, fail a delete or act while the client awaits the store.
 */
export const spyStore = (inner: KeyValueStore, around: {
	get?: (key: string, run: () => Promise<unknown>) => Promise<unknown>;
	set?: (key: string, value: unknown, run: () => Promise<void>) => Promise<void>;
	delete?: (key: string, run: () => Promise<void>) => Promise<void>;
	keys?: (run: () => Promise<string[]>) => Promise<string[]>;
}): KeyValueStore => ({
	get: async <T>(key: string) => (around.get ? around.get(key, async () => inner.get(key)) : inner.get(key)) as Promise<T | undefined>,
	set: async (key, value) => (around.set ? around.set(key, value, async () => inner.set(key, value)) : inner.set(key, value)),
	delete: async (key) => (around.delete ? around.delete(key, async () => inner.delete(key)) : inner.delete(key)),
	keys: async () => (around.keys ? around.keys(async () => inner.keys()) : inner.keys()),
	clear: async () => inner.clear(),
});

/**
 * The entry of the write `run` makes through `api` while `win` says the device is offline (no
 * `offline` event; the write must be queued); online again after it (no `online` event).
 */
export const queueOffline = async (win: FakeWindow, api: ReturnType<Harness['make']>, run: () => Promise<unknown>): Promise<OutboxEntry> => {
	win.setOnline(false, false);
	const { entryId } = await run().then(() => ({ entryId: 'not queued' }), (error: { entryId: string }) => error);
	const entry = (await api.outbox.list()).find(({ id }) => id === entryId);
	expect(entry).toBeDefined();
	win.setOnline(true, false);
	return entry!;
};

/**
 * A store around `inner` that counts its operations by kind (`ops`); without `span` when `spans` is false (as the
 * Cache API store).
 */
export const countingStore = (inner: KeyValueStore, spans = true): { store: KeyValueStore; ops: Record<'get' | 'set' | 'delete' | 'keys' | 'span', number> } => {
	const ops = { get: 0, set: 0, delete: 0, keys: 0, span: 0 };
	const store: KeyValueStore = {
		get: async (key) => (ops.get++, inner.get(key)),
		set: async (key, value) => (ops.set++, inner.set(key, value)),
		delete: async (key) => (ops.delete++, inner.delete(key)),
		clear: async () => inner.clear(),
		keys: async () => (ops.keys++, inner.keys()),
		...spans && { span: async (prefix: string) => (ops.span++, inner.span!(prefix)) },
	};
	return { store, ops };
};

/**
 * `inner`, holding the next read of a record under `prefix` (`p|` a pending entry's, `d|` a dead
 * letter's) once `holdNextRead()` was called: `reading` opens when its value is in, and the read
 * gives it back only after `resume.open()`.
 */
export const holdingRecordReads = (inner: KeyValueStore, prefix = 'p|') => {
	const reading = gate();
	const resume = gate();
	let pause = false;
	const store = spyStore(inner, {
		async get(key, read) {
			const value = await read();
			if (pause && key.startsWith(prefix)) {
				pause = false;
				reading.open();
				await resume.wait;
			}

			return value;
		},
	});
	return { store, reading, resume, holdNextRead: () => { pause = true; } };
};

/** A promise to hold something at, and the function that lets it go. */
export const gate = (): { wait: Promise<void>; open: () => void } => {
	let open!: () => void;
	const wait = new Promise<void>((resolve) => {
		open = resolve;
	});
	return { wait, open };
};

/** Run `task` in a runtime without Web Locks (as workerd: the drain's lock is then the client's own), then give Node's back. */
export const withoutLocks = async <T>(task: () => Promise<T>): Promise<T> => {
	Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });
	try {
		expect(navigator.locks).toBeUndefined();
		return await task();
	} finally {
		delete (navigator as { locks?: unknown }).locks;
	}
};

/** The store key of a pending record of `scope` queued at `createdAt` (record.ts `makeKey`). */
export const pendingKey = (createdAt: number, id: string, scope: string): string => `p|${String(createdAt).padStart(15, '0')}|000000|${id}|${encodeURIComponent(scope)}`;

/**
 * A client of `h` (`baseBackoffMs` 600 000) whose scope's queued head waits for its backoff, and three
 * pending records behind it that the outbox cannot read, planted in the store: `damaged`, `junk`, and
 * `secret` (a copy of the head holding a header it never stores); no pass reads them before the head goes.
 */
export const unreadableBehindHead = async (h: Harness) => {
	const api = h.make({ outbox: { baseBackoffMs: 600_000 } });
	await expect(api.post('mutate?id=head&fail=503&times=1', { json: { n: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
	const scope = new URL(h.api.url).origin;
	const [head] = await api.outbox.list();
	await h.store.set(pendingKey(head!.createdAt + 1, 'damaged', scope), { v: 1, garbage: true });
	await h.store.set(pendingKey(head!.createdAt + 2, 'junk', scope), 'junk');
	await h.store.set(pendingKey(head!.createdAt + 3, 'secret', scope), { ...(await h.store.get<Record<string, unknown>>((await h.store.keys()).find((key) => key.startsWith('p|'))!)), id: 'secret', headers: { authorization: 'Bearer stolen' } });
	return { api, head: head! };
};
