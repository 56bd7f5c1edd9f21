/**
 * Clients made by `extend()` and the events of their own work (the fortieth hunt). A child shares its parent's part
 * stores (same `name` and `store`: one outbox, one cache, one breaker record), and each part store told its failures
 * (`storage:error`) to the client that made it alone: the child never heard the failures of its own work, nor did its
 * outbox's drain, which counts them to back off.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';
import type { StorageErrorEvent } from '../../src/core/event-types.js';
import { followReachability } from '../../src/entries/tanstack-query.js';
import { logger } from '../../src/entries/logger.js';
import { scripted } from '../helpers/scripted-origins.js';
import { switchableStore } from '../helpers/switchable-store.js';
import { waitFor } from '../helpers/wait-for.js';
import { recordingManager } from '../helpers/reachability-stand-ins.js';

const opened: Array<{ close(): unknown }> = [];
afterEach(() => {
	vi.useRealTimers();
	for (const client of opened.splice(0)) {
		client.close();
	}
});

/** The `storage:error` events a client hears, as `part operation`. */
const heard = (client: { on(type: 'storage:error', listener: (event: StorageErrorEvent) => void): unknown }): string[] => {
	const events: string[] = [];
	client.on('storage:error', ({ part, operation }) => events.push(`${part} ${operation}`));
	return events;
};

/**
 * A client over a switchable store (up until the test says) whose origin answers `status` (503: down), every
 * policy of the preset on, with the outbox; a name of its own.
 */
const family = (extra: Record<string, unknown> = {}) => {
	const store = switchableStore(memoryStore(`h40-extend-${crypto.randomUUID()}`));
	const origin = { status: 200, seen: 0 };
	const fetch = async (): Promise<Response> => {
		origin.seen++;
		return new Response('{"ok":true}', { status: origin.status, headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60' } });
	};
	const parent = createClient({ name: `h40-extend-${crypto.randomUUID()}`, store: () => store, fetch: fetch as typeof globalThis.fetch, retry: 0, storageTimeoutMs: 50, breaker: { consecutiveFailures: 2 }, outbox: outbox({ resumeJitterMs: 0 }), ...extra });
	opened.push(parent);
	const child = parent.extend({ headers: { 'x-child': '1' } });
	opened.push(child);
	return { store: store as KeyValueStore & { mode: typeof store.mode }, origin, parent, child };
};

describe('storage:error of the work of a client extend() made: heard by it (and by its parent, as before)', () => {
	it('its outbox: a write queued while the store refuses it', async () => {
		const { store, origin, parent, child } = family();
		const [own, parents] = [heard(child), heard(parent)];
		origin.status = 503;
		store.mode = 'throw';
		await child.post('https://api.test/todos', { json: { n: 1 } }).catch(() => undefined);
		await waitFor(() => own.includes('outbox set'), 'the child\'s outbox set failure');
		// Before: [] (told to the parent alone).
		expect([own.includes('outbox set'), parents.includes('outbox set')]).toEqual([true, true]);
	});

	it('its stale cache: the copy of an answer the store refuses', async () => {
		const { store, parent, child } = family();
		const [own, parents] = [heard(child), heard(parent)];
		store.mode = 'throw';
		await child.get('https://api.test/doc').json();
		await waitFor(() => own.includes('cache set'), 'the child\'s cache set failure');
		expect(parents).toContain('cache set');
	});

	it('its breaker: the opening its calls made, which the store refuses', async () => {
		const { store, origin, parent, child } = family({ staleCache: false });
		const [own, parents] = [heard(child), heard(parent)];
		origin.status = 503;
		store.mode = 'throw';
		for (const n of [1, 2]) {
			await child.get(`https://api.test/r${n}`).catch(() => undefined);
		}

		expect(child.breaker('https://api.test').state).toBe('open');
		await waitFor(() => own.some((event) => event.startsWith('breaker ')), 'the child\'s breaker failure');
		expect(parents.some((event) => event.startsWith('breaker '))).toBe(true);
	});

	it('once its parent is closed, it still hears its own', async () => {
		const { store, parent, child } = family();
		const own = heard(child);
		parent.close();
		store.mode = 'throw';
		expect(await child.outbox.size()).toBe(0);
		// Before: [] (told to the closed parent, whose listeners are gone).
		expect(own).toContain('outbox keys');
	});

	it('a child of a child hears its own; its parent (the middle one) does not hear it, the first client does', async () => {
		const { store, parent, child } = family();
		const grandchild = child.extend({ headers: { 'x-grandchild': '1' } });
		opened.push(grandchild);
		const [own, middle, first] = [heard(grandchild), heard(child), heard(parent)];
		store.mode = 'throw';
		await grandchild.outbox.list();
		expect([own, middle, first]).toEqual([['outbox keys'], [], ['outbox keys']]);
	});

	it('a sibling (another client the parent extended) does not hear it', async () => {
		const { store, parent, child } = family();
		const sibling = parent.extend({ headers: { 'x-sibling': '1' } });
		opened.push(sibling);
		const [own, other] = [heard(child), heard(sibling)];
		store.mode = 'throw';
		await child.outbox.list();
		expect([own, other]).toEqual([['outbox keys'], []]);
	});
});

/**
 * One write queued (the origin down) by a client that then closed; a client of the name made over the store, and either
 * it (`'alone'`) or a client its `extend()` made, its parent closed (`'child'`), drains it. The store then fails every
 * operation: the drain's timers and the injected clock (`Date`) are faked, so each run counts the same store operations
 * at the same times. `store.calls`: the times (ms since the failure began) of the operations it refused.
 */
const drainer = async (who: 'alone' | 'child') => {
	const inner = memoryStore(`h40-drain-${crypto.randomUUID()}`);
	const state = { down: false, calls: [] as number[], from: 0 };
	const store = Object.fromEntries((['get', 'set', 'delete', 'keys', 'clear'] as const).map((method) => [method, async (...args: unknown[]) => {
		if (state.down) {
			state.calls.push(Date.now() - state.from);
			throw new Error('store down');
		}

		return (inner[method] as (...given: unknown[]) => Promise<unknown>)(...args);
	}])) as unknown as KeyValueStore;
	const origin = { up: false, got: 0 };
	const fetch = async (): Promise<Response> => {
		if (!origin.up) {
			throw new TypeError('Failed to fetch');
		}

		origin.got++;
		return new Response(null, { status: 204 });
	};
	const options = { name: `h40-drain-${crypto.randomUUID()}`, store: () => store, fetch: fetch as typeof globalThis.fetch, retry: 0, breaker: false, staleCache: false, storageTimeoutMs: 50, random: () => 0.5, outbox: outbox({ resumeJitterMs: 0, baseBackoffMs: 1_000 }) } as const;
	const writer = createClient(options);
	await writer.post('https://api.test/todos', { json: { n: 1 } }).catch(() => undefined);
	writer.close();
	vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
	const first = createClient(options);
	opened.push(first);
	const client = who === 'alone' ? first : first.extend({ headers: { 'x-child': '1' } });
	opened.push(client);
	if (who === 'child') {
		first.close();
	}

	await client.outbox.flush(); // The origin still down: the entry waits for its backoff.
	state.down = true;
	state.from = Date.now();
	await client.outbox.flush();
	return { client, state, origin };
};

/** Let `ms` of (faked) time pass, a second at a time. */
const pass = async (ms: number): Promise<void> => {
	for (let left = ms; left > 0; left -= 1_000) {
		await vi.advanceTimersByTimeAsync(Math.min(1_000, left));
	}
};

describe('the outbox drain of a client extend() made, over a store that fails', () => {
	it('tries the store again after the backoff a client of its own uses: as many operations, at the same times, over 60 s', async () => {
		const alone = await drainer('alone');
		await pass(60_000);
		const own = [...alone.state.calls];
		alone.client.close();
		vi.useRealTimers();
		const child = await drainer('child');
		await pass(60_000);
		// Before: the child's drain never heard the store fail (its parent's part store told the parent): [0, 0, 0, 0, 0, 1000, 1000]
		// (one try at the entry's own due time, then none) where the client of its own tried again after each backoff:
		// [0, 0, 0, 0, 0, 550, 550, 1600, 1600, 3650, 3650, 7700, 7700, 15750, 15750, 31800, 31800].
		expect(child.state.calls).toEqual(own);
		expect(own.filter((at) => at > 0).length).toBeGreaterThan(3);
		// Bounded: the backoff doubles (baseBackoffMs 1 000, jitter 0.5), so a minute holds a few tries, not one per timer tick.
		expect(own.length).toBeLessThan(60);
	});

	it('delivers the write once the store and the origin are back, with no other trigger (no flush, no call, no online event)', async () => {
		const { state, origin } = await drainer('child');
		await pass(5_000);
		state.down = false;
		origin.up = true;
		await pass(120_000);
		// Before: 0 (its drain set no timer after the pass the store failed: the write waited for the next trigger).
		expect(origin.got).toBe(1);
	});
});

const a = 'https://h40-follow.test';

/** A parent over a scripted origin (`plan`: 200 until set) and its `extend()` child, `followed` following the child's reachability of `a` (`off` stops it). */
const followedChild = () => {
	const plan: Record<string, number | 'down'> = {};
	const parent = createClient({ fetch: scripted(plan) as typeof globalThis.fetch, retry: 0, retryBudget: false });
	const child = parent.extend({ headers: { 'x-child': '1' } });
	opened.push(parent, child);
	const followed = recordingManager();
	const off = followReachability(child, followed, a);
	return { plan, parent, child, followed, off };
};

/** A GET of `${a}/x` through `api`, its outcome ignored. */
const call = async (api: { get(url: string): Promise<Response> }): Promise<void> => {
	await api.get(`${a}/x`).then(() => undefined, () => undefined);
};

/**
 * A client made by `extend()` and closed while its family is open still reads the family's reachability (by design:
 * recovery-hunt17): its `followReachability` follows it on, as its `reachability()` answers, until unsubscribed. Before,
 * its close() dropped the follower's listener: TanStack was told `[true]` and never paused, while `child.reachability()`
 * said `unreachable` and the open parent's follower got `[true, false, true]`.
 */
describe('followReachability on a closed client whose extend() family is open', () => {
	for (const closed of ['child', 'parent', 'grandchild'] as const) {
		it(`the closed ${closed}'s follower is told as the open ones' are, as its reachability() says`, async () => {
			const plan: Record<string, number | 'down'> = {};
			const parent = createClient({ fetch: scripted(plan) as typeof globalThis.fetch, retry: 0, retryBudget: false, name: `h40-follow-${crypto.randomUUID()}` });
			const child = parent.extend({ headers: { 'x-child': '1' } });
			const grandchild = child.extend({ headers: { 'x-grandchild': '1' } });
			opened.push(parent, child, grandchild);
			const clients = { parent, child, grandchild };
			const managers = { parent: recordingManager(), child: recordingManager(), grandchild: recordingManager() };
			const offs = Object.entries(managers).map(([who, each]) => followReachability(clients[who as keyof typeof clients], each, a));
			await call(parent);
			clients[closed].close();
			const open = clients[closed === 'parent' ? 'child' : 'parent'];
			plan[a] = 'down';
			await call(open);
			await call(open);
			const seen = [clients[closed].reachability(a), managers[closed].told.at(-1)];
			plan[a] = 200;
			await call(open);
			// Before: [true, true] for the closed one (its listener dropped: told online while its reachability() said `unreachable`).
			const each = [true, true, false, true]; // Followed, reachable, unreachable, reachable.
			expect([seen, managers.parent.told, managers.child.told, managers.grandchild.told]).toEqual([['unreachable', false], each, each, each]);
			for (const off of offs) {
				off();
			}
		});
	}

	it('unsubscribed, the closed client\'s follower is told nothing more', async () => {
		const { plan, parent, child, followed, off } = followedChild();
		child.close();
		off();
		followed.end();
		plan[a] = 'down';
		await call(parent);
		await call(parent);
		// The first true as it followed, the second its unsubscribe's (TanStack's own listener: navigator.onLine); no false.
		expect([child.reachability(a), followed.told]).toEqual(['unreachable', [true, true]]);
	});

	// Already so before (a regression test): the family closed, nothing changes its reachability any more.
	it('once every client of the family is closed, reachability() is `unknown` and the follower changes no more (TanStack online)', async () => {
		const { parent, child, followed, off } = followedChild();
		await call(parent);
		child.close();
		parent.close();
		await call(parent).catch(() => undefined);
		expect([child.reachability(a), followed.told]).toEqual(['unknown', [true, true]]);
		off();
	});
});

/**
 * `clear()` through a client `extend()` made while its parent's drain replays a write (neighbour of the leads above):
 * nothing cleared comes back. Already so (regression tests): the clear is noted in the world the family shares.
 */
describe('clear() through a child while the parent\'s drain is mid-replay or mid-write', () => {
	const onHeld = () => {
		const inner = memoryStore(`h40-clear-${crypto.randomUUID()}`);
		const gate = { replay: undefined as (() => void) | undefined, aborted: false, status: 0, sent: 0, setHeld: false, setRelease: undefined as (() => void) | undefined };
		const store: KeyValueStore = { ...inner, get: async (key) => inner.get(key), keys: async () => inner.keys(), delete: async (key) => inner.delete(key), clear: async () => inner.clear(), set: async (key, value) => {
			if (gate.setHeld && key.startsWith('p|')) {
				await new Promise<void>((resolve) => {
					gate.setRelease = resolve;
				});
			}

			return inner.set(key, value);
		} };
		// A replay held until `gate.replay()`, or until its signal aborts (as a real fetch does).
		const fetch = async (request: Request): Promise<Response> => {
			gate.sent++;
			if (gate.status === 0) {
				throw new TypeError('Failed to fetch');
			}

			await new Promise<void>((resolve, reject) => {
				gate.replay = resolve;
				request.signal.addEventListener('abort', () => {
					gate.aborted = true;
					reject(request.signal.reason);
				});
			});
			return new Response(null, { status: gate.status });
		};
		const parent = createClient({ name: `h40-clear-${crypto.randomUUID()}`, store: () => store, fetch: fetch as typeof globalThis.fetch, retry: 0, breaker: false, staleCache: false, outbox: outbox({ resumeJitterMs: 0 }) });
		const child = parent.extend({ headers: { 'x-child': '1' } });
		opened.push(parent, child);
		return { inner, gate, parent, child };
	};

	it('the replay in flight fails after the clear: the entry is not written back, nor sent again', async () => {
		const { inner, gate, parent, child } = onHeld();
		await parent.post('https://api.test/todos', { json: { n: 1 } }).catch(() => undefined);
		gate.status = 503;
		const flushed = parent.outbox.flush();
		await waitFor(() => gate.replay !== undefined, 'the replay in flight');
		await child.clear(); // Not waiting for the origin: the parent's replay is ended (aborted) by it.
		gate.replay!();
		await flushed;
		await parent.outbox.flush();
		expect([gate.aborted, await parent.outbox.size(), await child.outbox.size(), (await inner.keys()).filter((key) => key.startsWith('p|')), gate.sent]).toEqual([true, 0, 0, [], 2]);
	});

	it('a write-back the store takes after the clear: deleted again, never listed or sent', async () => {
		const { inner, gate, parent, child } = onHeld();
		await parent.post('https://api.test/todos', { json: { n: 1 } }).catch(() => undefined);
		gate.setHeld = true;
		const flushed = parent.outbox.flush(); // The origin still down: the entry written back with its next attempt, held.
		await waitFor(() => gate.setRelease !== undefined, 'the write-back under way');
		await child.clear();
		gate.setHeld = false;
		gate.setRelease!();
		await flushed;
		await waitFor(async () => (await inner.keys()).filter((key) => key.startsWith('p|')).length === 0, 'the landed write-back deleted');
		gate.status = 204;
		await parent.outbox.flush();
		expect([await parent.outbox.size(), await child.outbox.size(), gate.sent]).toEqual([0, 0, 2]);
	});
});

describe('a client extend() made with a storageTimeoutMs of its own', () => {
	it('bounds its own store operations by it, not by its parent\'s: a write another client stored, listed in 100 ms, counts under 1 000 ms', async () => {
		const inner = memoryStore(`h40-ms-${crypto.randomUUID()}`);
		const name = `h40-ms-${crypto.randomUUID()}`;
		const fetch = async (): Promise<Response> => Promise.reject(new TypeError('Failed to fetch'));
		const writer = createClient({ name, store: () => inner, fetch: fetch as typeof globalThis.fetch, retry: 0, outbox: outbox() });
		await writer.post('https://api.test/todos', { json: { n: 1 } }).catch(() => undefined);
		writer.close();
		const slow: KeyValueStore = { ...inner, keys: async () => {
			await new Promise((resolve) => setTimeout(resolve, 100));
			return inner.keys();
		} };
		const parent = createClient({ name, store: () => slow, fetch: fetch as typeof globalThis.fetch, retry: 0, storageTimeoutMs: 20, outbox: outbox() });
		const child = parent.extend({ storageTimeoutMs: 1_000 });
		opened.push(parent, child);
		const own = heard(child);
		// Before: 0 (the part store its parent made cut the child's listing at the parent's 20 ms).
		expect([await child.outbox.size(), own]).toEqual([1, []]);
		expect(await parent.outbox.size()).toBe(0); // Its own 20 ms: cut, as before.
	});
});

describe('the logger a client extend() made inherits', () => {
	it('writes one record of each store failure, though a failure of the child\'s work is told to it and to its parent', async () => {
		const records: Array<Record<string, unknown>> = [];
		const write = (record: object): void => {
			records.push(record as Record<string, unknown>);
		};
		const { store, parent, child } = family({ logger: logger({ info: write, warn: write, error: write }) });
		const [own, parents] = [heard(child), heard(parent)];
		store.mode = 'throw';
		await child.get('https://api.test/doc').json();
		await waitFor(() => own.includes('cache set'), 'the child\'s cache set failure');
		// Every failure reaches the parent once (its own work's, and its child's as before): one record each. Without the
		// logger's check, the child's failures were written twice, once through each client's logger (8 records where the
		// parent heard 4).
		const logged = records.filter((record) => record['event'] === 'storage:error');
		expect(own.length).toBeGreaterThan(0);
		expect(logged).toHaveLength(parents.length);
	});

	it('still writes a record of each of two failures that reject with one error object, one after the other', async () => {
		const records: Array<Record<string, unknown>> = [];
		const write = (record: object): void => {
			records.push(record as Record<string, unknown>);
		};
		const refusal = new Error('quota');
		const inner = memoryStore(`h40-logger-${crypto.randomUUID()}`);
		const store: KeyValueStore = { ...inner, get: (key) => inner.get(key), keys: () => inner.keys(), clear: () => inner.clear(), delete: (key) => inner.delete(key), set: async () => Promise.reject(refusal) };
		const fetch = async (): Promise<Response> => new Response('{"ok":true}', { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60' } });
		const client = createClient({ name: `h40-logger-${crypto.randomUUID()}`, store: () => store, fetch: fetch as typeof globalThis.fetch, retry: 0, breaker: false, logger: logger({ info: write, warn: write, error: write }) });
		opened.push(client);
		const sets = heard(client);
		await client.get('https://api.test/a').json();
		await waitFor(() => sets.length === 1, 'the first cache set failure');
		await client.get('https://api.test/b').json();
		await waitFor(() => sets.length === 2, 'the second cache set failure');
		expect(records.filter((record) => record['event'] === 'storage:error')).toHaveLength(2);
	});
});
