/**
 * Neighbours of bound2-hunt41 (`breaker({ shared })`: a sync's answer is adopted in the client's world as the sync
 * started, bound to no identity, as the report of an attempt is): `clear({ identity })` of the call's identity while
 * the sync is under way adopts it too; `client.clear()` (through the client or the one it was extended from) drops it and
 * stores nothing; the coordinators of `steadfetch/deno` (Deno KV), `steadfetch/redis` and `steadfetch/cloudflare` (a
 * Durable Object) share the rule, each over its real sync code on a store in memory.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, type Client } from '../../src/entries/index.js';
import { sharedCoordinator, type SharedBreaker } from '../../src/breaker/shared.js';
import { coordinator as kvCoordinator } from '../../src/deno/index.js';
import { coordinator as redisCoordinator } from '../../src/redis/index.js';
import { reads } from '../../src/redis/scripts.js';
import { BreakerCoordinator, coordinatorWith } from '../../src/cloudflare/index.js';
import { FakeOrigin, memoryCoordinator, memoryKv, origin, setup, syncGate } from './breaker-kit.js';
import { fakeWindow, type FakeWindow } from './outbox-helpers.js';
import { noteHeard } from '../helpers/other-tabs.js';
import { memoryRedis } from '../helpers/fleet-stores.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';

afterEach(() => {
	vi.restoreAllMocks();
});

type Gate = ReturnType<typeof syncGate>;

/**
 * Each coordinator as two isolates see it: `other`'s straight, `kit`'s through the gate (over the same state). The
 * wall clock of the real coordinators is the test's (`Date.now` spied on), the clients' clock too.
 */
const coordinators: Record<string, (clock: ManualClock, gate: Gate) => [SharedBreaker, SharedBreaker]> = {
	'a coordinator of your own (sharedCoordinator)': (clock, gate) => {
		const fleet = memoryCoordinator(clock);
		return [fleet, sharedCoordinator(async (scope, message) => gate.pass().then(async () => fleet.sync(scope, message)))];
	},
	'steadfetch/deno (Deno KV)': (_clock, gate) => {
		const kv = memoryKv();
		return [kvCoordinator(kv as never), kvCoordinator({ ...kv, get: async (key: never) => gate.pass().then(async () => kv.get(key)) } as never)];
	},
	'steadfetch/redis': (clock, gate) => {
		const { evaluate } = memoryRedis(() => clock.now());
		return [redisCoordinator(evaluate), redisCoordinator(async (script, keys, args) => (script === reads ? gate.pass() : Promise.resolve()).then(async () => evaluate(script, keys, args)))];
	},
	'steadfetch/cloudflare (a Durable Object)': (_clock, gate) => {
		const objects = new Map<string, BreakerCoordinator>();
		const objectOf = (id: string): BreakerCoordinator => {
			const storage = new Map<string, unknown>();
			const object = objects.get(id) ?? new BreakerCoordinator({ storage: { get: async (key: string) => structuredClone(storage.get(key)), put: async (key: string, value: unknown) => void storage.set(key, structuredClone(value)) } } as never);
			objects.set(id, object);
			return object;
		};

		const namespace = (through: () => Promise<void>) => ({
			idFromName: (name: string) => name,
			get: (id: string) => ({ fetch: async (input: string, init?: RequestInit) => through().then(async () => objectOf(id).fetch(new Request(input, init))) }),
		});
		return [coordinatorWith(namespace(async () => undefined) as never), coordinatorWith(namespace(gate.pass) as never)];
	},
};

/**
 * Two isolates of one fleet and name (2 failures in a row open it): `other` opens it; `kit` (identity `who()`, its own
 * store) syncs through the gate.
 */
const fleetOfTwo = (make: (clock: ManualClock, gate: Gate) => [SharedBreaker, SharedBreaker], identity: () => string | undefined) => {
	const clock = new ManualClock(Date.now());
	vi.spyOn(Date, 'now').mockImplementation(() => clock.now());
	const gate = syncGate();
	const [fleet, gated] = make(clock, gate);
	const store = memoryStore('bound2-hunt41-variants');
	const name = `bound2-fleet-${Math.random()}`;
	const other = setup({ clock, name, breaker: { shared: fleet, consecutiveFailures: 2 } as never });
	const kit = setup({ clock, name, identity, store: () => store, breaker: { shared: gated, consecutiveFailures: 2, share: true } as never });
	/** The fleet opened by `other`'s two failures. */
	const opened = async (): Promise<void> => {
		other.server.down();
		expect([await other.call('/1'), await other.call('/2')]).toEqual(['NetworkError', 'NetworkError']);
	};

	/** A call of `kit` whose sync the gate holds while `meanwhile` runs; then it is let through. */
	const syncAcross = async (meanwhile: () => unknown, call: (path: string) => Promise<string> = kit.call): Promise<string> => {
		gate.hold();
		const calling = call('/during');
		await waitFor(() => gate.held() === 1, 'the call\'s sync at the coordinator');
		await meanwhile();
		gate.release();
		return calling;
	};

	const stored = async (): Promise<string | undefined> => (await store.get(origin) as { state?: string } | undefined)?.state;
	return { ...kit, other, opened, syncAcross, stored };
};

describe.each(Object.entries(coordinators))('%s: a sync\'s answer and the world it is adopted in', (_, make) => {
	it('alice signs out, bob in, while her call\'s sync is under way: the fleet\'s opening is adopted and stored', async () => {
		let who: string | undefined = 'alice';
		const kit = fleetOfTwo(make, () => who);
		await kit.opened();
		await kit.syncAcross(() => {
			who = 'bob';
		});
		expect({ state: kit.state(), bob: await kit.call('/bob') }).toEqual({ state: 'open', bob: 'CIRCUIT_OPEN' });
		await waitFor(async () => await kit.stored() === 'open', 'the fleet\'s state stored');
	});

	it('clear({ identity }) of the call\'s identity while its sync is under way: the fleet\'s opening is adopted', async () => {
		const kit = fleetOfTwo(make, () => 'alice');
		await kit.opened();
		await kit.syncAcross(async () => kit.api.clear({ identity: 'alice' }));
		expect({ state: kit.state(), next: await kit.call('/next') }).toEqual({ state: 'open', next: 'CIRCUIT_OPEN' });
	});

	it('client.clear() while the sync is under way: its answer is dropped, nothing stored; the next call\'s sync adopts the fleet\'s state', async () => {
		const kit = fleetOfTwo(make, () => 'alice');
		await kit.opened();
		await kit.syncAcross(async () => kit.api.clear());
		expect(kit.state()).toBe('closed');
		expect(await kit.stored()).toBeUndefined();
		kit.clock.advance(1_000); // past sharedCacheMs: the next call syncs
		expect(await kit.call('/next')).toBe('CIRCUIT_OPEN');
		expect(kit.state()).toBe('open');
	});

	it('client.clear() through the client an extend() child was made from, while the child\'s sync is under way: dropped in the child too', async () => {
		const kit = fleetOfTwo(make, () => 'alice');
		const child = kit.api.extend({ headers: { 'x-child': '1' } });
		await kit.opened();
		const get = async (path: string): Promise<string> => child.get(origin + path).then((response) => String(response.status), (error: { code?: unknown; name: string }) => (typeof error.code === 'string' ? error.code : error.name));
		await kit.syncAcross(async () => kit.api.clear(), get);
		expect({ state: child.breaker(origin).state, stored: await kit.stored() }).toEqual({ state: 'closed', stored: undefined });
	});
});

describe('two clients of one name and store made apart in one page', () => {
	let win: FakeWindow;
	const clients: Client[] = [];
	beforeEach(() => {
		win = fakeWindow();
	});
	afterEach(() => {
		for (const client of clients.splice(0)) {
			client.close();
		}

		win.restore();
	});

	/** `a` and `b` of one name and store (`b` of `otherName` when given), alice signed in; `a` reads through an origin that hangs. */
	const twins = (otherName?: string) => {
		const name = `bound2-twins-${Math.random()}`;
		const shared = memoryStore(name);
		const server = new FakeOrigin();
		server.hang();
		const make = (as: string) => createClient({ name: as, store: () => shared, identity: () => 'alice', fetch: server.fetch as typeof fetch, retry: 0, breaker: false, staleCache: { maxStaleMs: 86_400_000 } });
		const [a, b] = [make(name), make(otherName ?? name)];
		clients.push(a, b);
		const stored: string[] = [];
		a.on('cache:stored', ({ url }) => stored.push(url));
		/** `a` reads `path`; `meanwhile` runs once its attempt is at the origin, then it is answered in the same task. */
		const readAcross = async (path: string, meanwhile: () => Promise<unknown>): Promise<string> => {
			const reading = a.get(`${origin}${path}`).text();
			await waitFor(() => server.pending.length === 1, 'the read at the origin');
			const doing = meanwhile();
			server.settleAll(new Response('alice', { headers: { 'cache-control': 'max-age=60' } }));
			await doing;
			return reading;
		};

		/** A read of `a` after it, answered at once: once its copy is told, every copy write before it has landed. */
		const readAfter = async (): Promise<void> => {
			server.script = () => new Response('later', { headers: { 'cache-control': 'max-age=60' } });
			expect(await a.get(`${origin}/after`).text()).toBe('later');
			await waitFor(() => stored.includes(`${origin}/after`), 'the read after stored');
		};

		const kept = async (path: string): Promise<boolean> => (await shared.keys()).some((key) => key.endsWith(`${origin}${path}`));
		return { name, a, b, server, stored, readAcross, readAfter, kept };
	};

	it('clear({ identity }) of alice through b while a\'s read of alice is in flight: not stored', async () => {
		const t = twins();
		expect(await t.readAcross('/me', async () => t.b.clear({ identity: 'alice' }))).toBe('alice');
		await t.readAfter();
		// Before: stored ['/me', '/after'], the copy of /me kept.
		expect({ stored: t.stored, kept: await t.kept('/me') }).toEqual({ stored: [`${origin}/after`], kept: false });
	});

	it('cache.delete(url) through b while a\'s read of that URL is in flight: not stored', async () => {
		const t = twins();
		expect(await t.readAcross('/doc', async () => t.b.cache.delete(`${origin}/doc`))).toBe('alice');
		await t.readAfter();
		expect({ stored: t.stored, kept: await t.kept('/doc') }).toEqual({ stored: [`${origin}/after`], kept: false });
	});

	it('a read of a started after b\'s clear, answered once the channel brought the note back: stored (no second clear)', async () => {
		const t = twins();
		const echoed = noteHeard(t.name);
		await t.b.clear();
		const reading = t.a.get(`${origin}/fresh`).text();
		await waitFor(() => t.server.pending.length === 1, 'the read at the origin');
		await echoed; // the note's echo reached every channel of the name in the page (a's too)
		t.server.settleAll(new Response('bob', { headers: { 'cache-control': 'max-age=60' } }));
		expect(await reading).toBe('bob');
		await waitFor(() => t.stored.includes(`${origin}/fresh`), 'the read after the clear stored');
		expect(await t.kept('/fresh')).toBe(true);
	});

	it('another tab\'s clear (a note without this page\'s mark, or with another page\'s) still binds a\'s read in flight', async () => {
		for (const from of [undefined, 'another-page']) {
			const t = twins();
			const heardWrites: string[] = [];
			t.a.on('write:delivered', ({ url }) => heardWrites.push(url));
			const reading = t.a.get(`${origin}/tab-${from}`).text();
			await waitFor(() => t.server.pending.length === 1, 'the read at the origin');
			const tab = new BroadcastChannel(`steadfetch:${t.name}:world`);
			tab.postMessage({ v: 1, note: '*', ...(from && { from }) });
			// A write told after it by the same tab: once a hears it, it heard the note before.
			tab.postMessage({ v: 1, write: ['PUT', `${origin}/told`] });
			await waitFor(() => heardWrites.length === 1, 'the tab\'s messages heard');
			tab.close();
			t.server.settleAll(new Response('alice', { headers: { 'cache-control': 'max-age=60' } }));
			expect(await reading).toBe('alice');
			await t.readAfter();
			expect({ stored: t.stored, kept: await t.kept(`/tab-${from}`) }).toEqual({ stored: [`${origin}/after`], kept: false });
		}
	});

	it('a client of another name in the page: its clear() does not bind a\'s read', async () => {
		const t = twins(`bound2-other-${Math.random()}`);
		expect(await t.readAcross('/mine', async () => t.b.clear())).toBe('alice');
		await waitFor(() => t.stored.includes(`${origin}/mine`), 'a\'s copy stored');
	});
});
