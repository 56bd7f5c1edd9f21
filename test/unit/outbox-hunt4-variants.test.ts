/**
 * Variants of the outbox's claims (defect hunt, fourth round): a write told "queued" reaches the server
 * or a visible dead letter; the user is told only of what is there; nothing removed comes back.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OutboxQueuedError, createClient, memoryStore, outbox, type KeyValueStore, type OutboxOptions } from '../../src/entries/index.js';
import { gate, spyStore, startHarness, until, type Harness } from './outbox-helpers.js';

let h: Harness;
beforeEach(async () => {
	h = await startHarness();
});
afterEach(async () => {
	await h.close();
});

const caught = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

/** A client on `store` whose transport is `fetch` (no server), the outbox's drain at once. */
const clientOn = (store: KeyValueStore, fetch: typeof globalThis.fetch, options: OutboxOptions = {}) => createClient({
	baseUrl: 'https://api.example/', clock: h.clock, random: () => 0.5, store: () => store, fetch,
	retry: 0, retryBudget: false, breaker: false, staleCache: false, outbox: outbox({ resumeJitterMs: 0, ...options }),
});

describe('outbox:dead fires only for a dead letter that is stored', () => {
	/**
	 * A store whose read of a pending entry by the dead letter's write (`Queue.writeBack`, under the entry's
	 * lock) is held once `hold()` was called: `held` resolves when the read waits, `open()` lets it go.
	 */
	const holding = () => {
		let holding = false;
		const reached = gate();
		const released = gate();
		const store = spyStore(memoryStore('dead-after-clear'), {
			get: async (key, run) => {
				if (holding && key.startsWith('p|') && (await navigator.locks.query()).held?.some((lock) => lock.name?.includes('/outbox#'))) {
					holding = false;
					reached.open();
					await released.wait;
				}

				return run();
			},
		});
		return { store, hold: () => (holding = true), held: reached.wait, open: released.open };
	};

	it('a replay answered 422 while clear() runs: no outbox:dead, no dead letter', async () => {
		const { store, hold, held, open } = holding();
		let offline = true;
		const api = clientOn(store, async () => {
			if (offline) {
				throw new TypeError('Failed to fetch');
			}

			hold(); // The dead letter's write reads the entry again: held there.
			return Response.json({ error: 'invalid' }, { status: 422 });
		});
		expect(await caught(api.post('todos', { json: { title: 'a' } }))).toBeInstanceOf(OutboxQueuedError);
		const dead: unknown[] = [];
		api.on('outbox:dead', (event) => dead.push(event));
		offline = false;
		const flushed = api.outbox.flush();
		await held;
		const cleared = api.clear(); // The user logs out while the dead letter is being written.
		open();
		await Promise.all([flushed, cleared]);
		expect(await api.outbox.deadLetters()).toEqual([]);
		expect(dead).toEqual([]);
	});

	it('a write told "queued" at its deadline, its attempt then answered 422 while clear() runs: no outbox:dead, no dead letter', async () => {
		const { store, hold, held, open } = holding();
		const answer = gate();
		const api = clientOn(store, async () => {
			await answer.wait;
			hold();
			return Response.json({ error: 'invalid' }, { status: 422 });
		}, { networkTimeoutMs: 20 });
		const dead: unknown[] = [];
		api.on('outbox:dead', (event) => dead.push(event));
		expect(await caught(api.post('todos', { json: { title: 'a' } }))).toBeInstanceOf(OutboxQueuedError);
		answer.open();
		await held;
		const cleared = api.clear();
		open();
		await cleared;
		await until(async () => (await api.outbox.size()) === 0);
		console.log("EV", JSON.stringify(dead));
		expect(await api.outbox.deadLetters()).toEqual([]);
		expect(dead).toEqual([]);
	});
});

describe('retry(id) on a store that cannot list', () => {
	it('rejects with the store\'s failure (as discard(id) does), never OUTBOX_NOT_FOUND for a dead letter that is there', async () => {
		let refuse = false;
		const store = spyStore(memoryStore('retry-unlisted'), {
			keys: async (run) => {
				if (refuse) {
					throw new Error('keys() refused');
				}

				return run();
			},
		});
		let status = 0;
		const api = clientOn(store, async () => status ? Response.json({ error: 'invalid' }, { status }) : Promise.reject(new TypeError('Failed to fetch')));
		const queued = await caught(api.post('todos', { json: { title: 'a' } })) as OutboxQueuedError;
		status = 422;
		await api.outbox.flush();
		expect((await api.outbox.deadLetters()).map((entry) => entry.id)).toEqual([queued.entryId]);
		const failures: unknown[] = [];
		api.on('storage:error', (event) => failures.push(event));
		refuse = true;
		const error = await caught(api.outbox.retry(queued.entryId));
		expect(error).toBeInstanceOf(Error);
		expect((error as { code?: string }).code).not.toBe('OUTBOX_NOT_FOUND');
		expect(failures.length).toBeGreaterThan(0);
		refuse = false;
		expect((await api.outbox.deadLetters()).map((entry) => entry.id)).toEqual([queued.entryId]); // Still there, to retry again.
	});
});

describe('outbox.ref() called on every render', () => {
	it('10 000 calls for one entry and pointer hold one placeholder (nothing grows per call), still replaced on replay', async () => {
		let offline = true;
		const bodies: string[] = [];
		const api = clientOn(memoryStore('ref-per-render'), async (input) => {
			if (offline) {
				throw new TypeError('Failed to fetch');
			}

			const request = input as Request;
			bodies.push(await request.text());
			return Response.json({ id: 41 }, { status: 201 });
		});
		const parent = (await caught(api.post('todos', { json: { title: 'a' } })) as OutboxQueuedError).entryId;
		const placeholders = new Set<string>();
		for (let render = 0; render < 10_000; render++) {
			placeholders.add(api.outbox.ref(parent, '/id'));
		}

		expect(placeholders.size).toBe(1);
		const [id] = placeholders;
		expect(await caught(api.patch('todos/x', { json: { parent: id } }))).toBeInstanceOf(OutboxQueuedError);
		offline = false;
		await api.outbox.flush();
		expect(bodies.at(-1)).toBe('{"parent":41}');
	});
});

describe('a crash between a dead letter\'s write and its pending key\'s delete', () => {
	it('after the reload the entry is one dead letter: not replayed, not listed pending, counted once', async () => {
		const inner = memoryStore('crash-bury');
		const sent: string[] = [];
		const fetch = async (input: RequestInfo | URL): Promise<Response> => {
			sent.push((input as Request).url);
			return Response.json({ id: 1 }, { status: 201 });
		};
		const before = clientOn(inner, async () => Promise.reject(new TypeError('Failed to fetch')), { baseBackoffMs: 3_600_000 });
		const queued = await caught(before.post('todos', { json: { title: 'a' } })) as OutboxQueuedError;
		before.close();
		// The tab died after the dead letter (a 422) was stored under its dead key, before its pending key went.
		const [pendingKey] = await inner.keys();
		const record = await inner.get<Record<string, unknown>>(pendingKey!);
		await inner.set(`d${pendingKey!.slice(1)}`, { ...record, deadReason: 'rejected', lastError: { code: 'HTTP_4XX', status: 422, message: '422' } });
		const after = clientOn(inner, fetch);
		await after.outbox.flush();
		expect(sent).toEqual([]);
		expect(await after.outbox.list()).toEqual([]);
		expect((await after.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason])).toEqual([[queued.entryId, 'rejected']]);
		expect(await after.outbox.stats()).toMatchObject({ entries: 0, dead: 1 });
		await after.outbox.retry(queued.entryId); // Taken back: one pending entry, sent once.
		await vi.waitFor(() => expect(sent).toHaveLength(1));
		expect(await after.outbox.deadLetters()).toEqual([]);
		expect(await inner.keys()).toEqual([]);
	});
});

describe('the order of the writes is the order of the calls', () => {
	/** A transport where a request whose body names `slow` fails only once `fail()` was called; any other fails at once (offline); online, it answers 201. */
	const transport = () => {
		const slow = gate();
		let online = false;
		const bodies: string[] = [];
		const fetch = async (input: RequestInfo | URL): Promise<Response> => {
			const body = await (input as Request).text();
			if (online) {
				bodies.push(body);
				return Response.json({ ok: true }, { status: 201 });
			}

			if (body.includes('slow')) {
				await slow.wait; // The older call's attempt fails last (a timeout, a dropped connection).
			}

			throw new TypeError('Failed to fetch');
		};
		return { fetch, bodies, fail: slow.open, online: () => (online = true) };
	};

	it('two writes of one tab, the older failing after the newer: replayed in call order', async () => {
		const t = transport();
		const api = clientOn(memoryStore('call-order'), t.fetch);
		const older = caught(api.post('todos', { json: { step: 1, slow: true } }));
		const newer = await caught(api.post('todos', { json: { step: 2 } }));
		expect(newer).toBeInstanceOf(OutboxQueuedError);
		t.fail();
		expect(await older).toBeInstanceOf(OutboxQueuedError);
		expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([(await older as OutboxQueuedError).entryId, (newer as OutboxQueuedError).entryId]);
		t.online();
		await api.outbox.flush();
		expect(t.bodies).toEqual(['{"step":1,"slow":true}', '{"step":2}']);
	});

	it('with coalesce, the older PUT failing after the newer one supersedes nothing: the last write called wins', async () => {
		const t = transport();
		const api = clientOn(memoryStore('call-order-coalesce'), t.fetch, { coalesce: true });
		const older = caught(api.put('todos/1', { json: { title: 'old', slow: true } }));
		expect(await caught(api.put('todos/1', { json: { title: 'new' } }))).toBeInstanceOf(OutboxQueuedError);
		t.fail();
		expect(await older).toBeInstanceOf(OutboxQueuedError);
		t.online();
		await api.outbox.flush();
		expect(t.bodies.at(-1)).toBe('{"title":"new"}');
	});
});

describe('list() and stats() of queued files', () => {
	it('hold one record\'s body at a time, never every queued file at once', async () => {
		const { setFlagsFromString } = await import('node:v8');
		const { runInNewContext } = await import('node:vm');
		setFlagsFromString('--expose-gc');
		const gc = runInNewContext('gc') as () => void;
		const inner = memoryStore('files-listed');
		const bodies: Array<WeakRef<ArrayBuffer>> = [];
		let alive = 0;
		let reading = false;
		// A store that hands out each record's body as its own bytes (as IndexedDB does): the test counts how many of
		// those read before are still held by the client when the next one is read.
		const store = spyStore(inner, {
			get: async (_key, run) => {
				const value = await run() as { body?: ArrayBuffer } | undefined;
				if (!reading || !value?.body) {
					return value;
				}

				await new Promise((resolve) => setTimeout(resolve, 0)); // A new task: what the last one held only for it is let go.
				gc();
				alive = Math.max(alive, bodies.filter((body) => body.deref() !== undefined).length);
				const body = value.body.slice(0);
				bodies.push(new WeakRef(body));
				return { ...value, body };
			},
		});
		const api = clientOn(store, async () => Promise.reject(new TypeError('Failed to fetch')));
		for (let n = 0; n < 8; n++) {
			expect(await caught(api.post('photos', { body: new Uint8Array(1 << 20).fill(n) }))).toBeInstanceOf(OutboxQueuedError);
		}

		reading = true;
		expect((await api.outbox.list()).map((entry) => entry.bodyBytes)).toEqual(Array.from({ length: 8 }, () => 1 << 20));
		expect(await api.outbox.stats()).toMatchObject({ entries: 8, bytes: 8 << 20 });
		expect(alive).toBeLessThanOrEqual(2); // The one just read, and at most the one before it (an engine's register): never all eight.
	}, 30_000); // Sixteen full collections of a heap holding 8 MiB: over vitest's 5 s once, in a run of 33 files on two cores.
});

describe('the answers of writes delivered after "queued" (networkTimeoutMs)', () => {
	it('are held 60 s, not for the client\'s life: a long session of slow writes does not keep every answer', async () => {
		let stores: Map<string, unknown> | undefined;
		// An app's policy sees the client's shared stores (API.md: no private door): where the placeholders' memory lives.
		const peek = {
			slot: 'peek', create: (context: { stores: Map<string, unknown> }) => {
				stores = context.stores;
				return {};
			},
		};
		const answers: Array<() => void> = [];
		const api = createClient({
			baseUrl: 'https://api.example/', clock: h.clock, random: () => 0.5, store: () => memoryStore('early-answers'),
			retry: 0, retryBudget: false, breaker: false, staleCache: false, outbox: outbox({ resumeJitterMs: 0, networkTimeoutMs: 20 }),
			fetch: async () => new Promise<Response>((resolve) => answers.push(() => resolve(Response.json({ id: 1, big: 'x'.repeat(1000) }, { status: 201 })))),
			peek,
		} as never) as ReturnType<typeof clientOn>;
		const sent: unknown[] = [];
		api.on('outbox:sent', (event) => sent.push(event));
		for (let n = 1; n <= 5; n++) {
			expect(await caught(api.post('todos', { json: { n } }))).toBeInstanceOf(OutboxQueuedError);
			answers.shift()!();
			await vi.waitFor(() => expect(sent).toHaveLength(n));
			h.clock.advance(61_000); // Each answer's 60 s are over before the next write.
		}

		const held = (stores!.get('#refs') as { early: Map<string, unknown> }).early;
		expect(held.size).toBeLessThanOrEqual(1);
	});
});
