/**
 * Defect hunt, twenty-fourth round (identity): work that outlives its caller checks the world it started in at the
 * moment of each write, not only as it starts (API.md "Work that outlives its caller", "Identity: persisted state
 * belongs to someone").
 *
 * - An outbox pass checked the identity once per entry (as it took it, and as it began to settle its answer): bob signing
 *   in while it read the record back, read it, or ran `migrate` got alice's write written back, made a dead letter or
 *   dropped, told in his session. Each write of the pass now checks it at the write.
 * - An `identity()` that fails (throws, returns `''` or a Promise) read as "nobody signed in": a pass replayed the writes
 *   queued while nobody was, its call refused them (`InvalidRequestError`) and they became dead letters; an early write's
 *   attempt answered 400 then was buried. While it fails, nobody known is signed in: the outbox settles no one's writes.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { holdGate } from '../helpers/hold-gate.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { createClient, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';

let made = 0;

/** `inner` whose reads wait at `gate` while it is shut (the write-back's read of an entry, as a pass settles it). */
const gatedReads = (inner: KeyValueStore, gate: ReturnType<typeof holdGate>): KeyValueStore => ({
	...inner,
	get: async (key) => {
		await gate.held();
		return inner.get(key);
	},
	set: async (key, value) => inner.set(key, value),
	delete: async (key) => inner.delete(key),
	keys: async () => inner.keys(),
	clear: async () => inner.clear(),
} as KeyValueStore);

/**
 * A client of `who()` whose transport answers a write's first attempt 500 (the caller is told it is queued) and holds
 * every later one until the test releases it with a status; its store's reads wait at `gate` while it is shut.
 */
const replaying = (who: () => string) => {
	const held: Array<(status: number) => void> = [];
	let writes = 0;
	const fetch = (async (request: Request) => {
		if (request.method !== 'GET' && ++writes === 1) {
			return new Response('down', { status: 500 });
		}

		return new Response('{"id":7}', { status: await new Promise<number>((release) => held.push(release)), headers: { 'content-type': 'application/json' } });
	}) as typeof globalThis.fetch;
	const name = `h24-${++made}`;
	const gate = holdGate();
	const inner = memoryStore(name);
	const store = gatedReads(inner, gate);
	const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name, identity: who, storageTimeoutMs: 60_000, outbox: outbox({ resumeJitterMs: 0 }) });
	const told: string[] = [];
	for (const type of ['outbox:retry', 'outbox:dead', 'outbox:sent', 'outbox:conflict'] as const) {
		api.on(type, (event) => told.push(`${type} ${new URL(event.url).pathname} (${who()} signed in)`));
	}

	return { api, held, told, gate, inner };
};

describe('an outbox replay of alice\'s write answered while alice is signed in, bob signing in as the pass settles it', () => {
	it.each([
		[503, 'outbox:retry'],
		[400, 'outbox:dead'],
	] as const)('answered %s: bob signs in while its record is read back: nothing told in bob\'s session, untouched; settled once alice is back (%s)', async (status, event) => {
		let who = 'alice';
		const { api, held, told, gate } = replaying(() => who);
		await expect(api.post('todos', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		const [queued] = await api.outbox.list();
		const flushed = api.outbox.flush();
		await waitFor(() => held.length === 1, 'the replay to be sent');
		gate.hold();
		held[0]!(status);
		// Answered while alice is signed in: the pass settles it, and reads its record back first (writeBack).
		await waitFor(() => gate.holding(), 'the pass to read the entry back');
		who = 'bob';
		gate.release();
		const figures = await flushed;
		expect(told).toEqual([]);
		expect(figures).toMatchObject({ sent: 0, failed: 1, dead: 0 });
		expect([await api.outbox.list(), await api.outbox.deadLetters()]).toEqual([[queued], []]);
		who = 'alice';
		const again = api.outbox.flush();
		await waitFor(() => held.length === 2, 'the replay to be sent again');
		held[1]!(status);
		await again;
		expect(told).toEqual([`${event} /todos (alice signed in)`]);
		api.close();
	});
});

/**
 * A client of `who()` (its clock `clock`) whose writes all fail (queued), over a store that calls `reading(key)` as each
 * read of a pending key begins; what each outbox event told, and who was signed in then.
 */
const settling = (who: () => string, clock: ManualClock, reading: (key: string) => void, options?: Parameters<typeof outbox>[0]) => {
	const name = `h24-${++made}`;
	const inner = memoryStore(name);
	const store = { ...gatedReads(inner, holdGate()), get: async (key: string) => {
		if (key.startsWith('p|')) {
			reading(key);
		}

		return inner.get(key);
	} } as KeyValueStore;
	const fetch = (async () => new Response('down', { status: 500 })) as typeof globalThis.fetch;
	const api = createClient({ fetch, clock, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name, identity: who, outbox: outbox({ resumeJitterMs: 0, ...options }) });
	const told: string[] = [];
	for (const type of ['outbox:retry', 'outbox:dead', 'outbox:discarded', 'outbox:superseded'] as const) {
		api.on(type, (event) => told.push(`${type} ${new URL(event.url).pathname} (${who()} signed in)`));
	}

	return { api, told };
};

describe('a pass over alice\'s entry that bob signs in during, as it reads the entry', () => {
	it('past retention: not made a dead letter in bob\'s session (outbox:dead), untouched; buried once alice is back', async () => {
		let who = 'alice';
		let switching = false;
		const clock = new ManualClock();
		const { api, told } = settling(() => who, clock, () => {
			if (switching) {
				switching = false;
				who = 'bob'; // As the pass reads alice's entry (it read the identity before).
			}
		});
		await expect(api.post('todos', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		const [queued] = await api.outbox.list();
		clock.advance(604_800_001);
		switching = true;
		await api.outbox.flush();
		// Before: ['outbox:dead /todos (bob signed in)'], alice's write a dead letter.
		expect(told).toEqual([]);
		expect([await api.outbox.list(), await api.outbox.deadLetters()]).toEqual([[queued], []]);
		who = 'alice';
		await api.outbox.flush();
		expect(told).toEqual(['outbox:dead /todos (alice signed in)']);
		api.close();
	});

	it('migrate answers null as bob signs in: not told discarded in bob\'s session, untouched; dropped once alice is back', async () => {
		let who = 'alice';
		let signIn = false;
		const clock = new ManualClock();
		const name = `h24-${++made}`;
		const store = memoryStore(name);
		const fetch = (async () => new Response('down', { status: 500 })) as typeof globalThis.fetch;
		const first = createClient({ fetch, clock, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name, identity: () => who, outbox: outbox({ resumeJitterMs: 0 }) });
		await expect(first.post('todos', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		first.close();
		const migrate = () => {
			if (signIn) {
				signIn = false;
				who = 'bob'; // The app signs bob in while its migrate runs (an await of its own).
			}

			return null;
		};
		const api = createClient({ fetch, clock, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name, identity: () => who, outbox: outbox({ resumeJitterMs: 0, version: 2, migrate }) });
		const told: string[] = [];
		api.on('outbox:discarded', (event) => told.push(`outbox:discarded ${new URL(event.url).pathname} (${who} signed in)`));
		const [queued] = await api.outbox.list();
		signIn = true;
		await api.outbox.flush();
		// Before: ['outbox:discarded /todos (bob signed in)'].
		expect(told).toEqual([]);
		expect((await api.outbox.list()).map(({ id }) => id)).toEqual([queued!.id]);
		who = 'alice';
		await api.outbox.flush();
		expect(told).toEqual(['outbox:discarded /todos (alice signed in)']);
		api.close();
	});
});

describe('an identity() that fails during a pass: nobody known is signed in, no write of anyone\'s is sent or settled', () => {
	const failing: Array<[string, () => unknown]> = [
		['throws', () => {
			throw new Error('session store locked');
		}],
		['returns an empty string', () => ''],
		['returns a Promise', async () => 'alice'],
	];

	it.each(failing)('identity() %s: a write queued while nobody was signed in stays pending, untouched, and goes once it answers', async (_how, fails) => {
		let broken = false;
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(`${request.method} ${new URL(request.url).pathname}`);
			return new Response('down', { status: sent.length === 1 ? 500 : 200 });
		}) as typeof globalThis.fetch;
		const name = `h24-${++made}`;
		const identity = (() => (broken ? fails() : undefined)) as () => string | undefined;
		const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => memoryStore(name), name, identity, outbox: outbox({ resumeJitterMs: 0 }) });
		await expect(api.post('todos', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		const [queued] = await api.outbox.list();
		broken = true;
		// Before: { sent: 0, failed: 0, dead: 1 }: the replay refused as the call's identity() failed (INVALID_REQUEST), made a dead letter ('rejected').
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 0, remaining: 1 });
		broken = false;
		expect([await api.outbox.list(), await api.outbox.deadLetters()]).toEqual([[queued], []]);
		expect(await api.outbox.flush()).toEqual({ sent: 1, failed: 0, dead: 0, remaining: 0 });
		expect(sent).toEqual(['POST /todos', 'POST /todos']);
		api.close();
	});

	it('identity() starts to throw while alice\'s replay is in flight, answered 400: not made a dead letter, untouched', async () => {
		let who: string | undefined = 'alice';
		const { api, held, told } = replaying(() => {
			if (who === undefined) {
				throw new Error('session store locked');
			}

			return who;
		});
		await expect(api.post('todos', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		const [queued] = await api.outbox.list();
		const flushed = api.outbox.flush();
		await waitFor(() => held.length === 1, 'the replay to be sent');
		who = undefined;
		held[0]!(400);
		await flushed;
		expect(told).toEqual([]);
		who = 'alice';
		expect([await api.outbox.list(), await api.outbox.deadLetters()]).toEqual([[queued], []]);
		api.close();
	});
});

describe('an identity() that starts to fail while a write told "queued" at its deadline is in flight', () => {
	it('a write made while nobody was signed in, answered 400 then: not made a dead letter, left pending and sent once identity() answers', async () => {
		let broken = false;
		let answer!: (status: number) => void;
		const sent: number[] = [];
		const fetch = (async () => {
			sent.push(sent.length);
			return new Response('no', { status: sent.length > 1 ? 200 : await new Promise<number>((release) => {
				answer = release;
			}) });
		}) as typeof globalThis.fetch;
		const name = `h24-${++made}`;
		const identity = (): string | undefined => {
			if (broken) {
				throw new Error('session store locked');
			}

			return undefined;
		};
		const clock = new ManualClock();
		const api = createClient({ fetch, clock, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => memoryStore(name), name, identity, outbox: outbox({ resumeJitterMs: 0, networkTimeoutMs: 20 }) });
		const dead: string[] = [];
		api.on('outbox:dead', (event) => dead.push(event.entryId));
		// The work that goes on after the caller's answer, as a Worker's request context holds it: its attempt, then its settling.
		const behind: Array<Promise<unknown>> = [];
		await expect(api.post('todos', { json: { a: 1 }, waitUntil: (promise) => behind.push(promise) })).rejects.toMatchObject({ code: 'QUEUED' });
		await waitFor(() => answer !== undefined, 'the first attempt to be sent');
		broken = true;
		answer(400);
		for (let settled = 0; settled < behind.length; settled++) {
			await behind[settled]!.catch(() => undefined); // The outbox settled the attempt (early.ts), and what it handed on.
		}

		broken = false;
		clock.advance(120_000); // Past its first attempt's lease, as stored.
		// Before: never sent again, the entry a dead letter ('rejected', outbox:dead) while nobody known was signed in.
		await waitFor(async () => (await api.outbox.flush()).sent === 1 || dead.length > 0, 'the entry to be replayed');
		expect([dead, sent.length, await api.outbox.deadLetters()]).toEqual([[], 2, []]);
		api.close();
	});
});
