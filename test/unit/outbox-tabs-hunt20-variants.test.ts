/**
 * A write's first attempt leased by a tab that then crashed (API.md "Work that outlives its caller": the lease is
 * `inFlightUntil`, "a lease read from storage further ahead than that bound is cut to it"): another tab of the name
 * replays it once the lease ends — by its own drain's timer, with no other trigger — exactly once, byte-identical, with
 * the same Idempotency-Key. Before, the drain's timer was set at the stored `inFlightUntil` as it was, not at the lease's
 * end as the pass honoured it: a lease stored a day ahead kept the write unsent for a day (until another trigger).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, OutboxQueuedError, outbox, type KeyValueStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';

type Sent = { line: string; key: string | null; body: string };

let made = 0;
const clients: Array<{ close(): void }> = [];

afterEach(() => {
	vi.useRealTimers();
	for (const client of clients.splice(0)) {
		client.close();
	}
});

/** A tab of client name `name` over `store` on `clock`: its transport fails every write while `state.down`, else answers 201. */
const tab = (name: string, store: KeyValueStore, clock: ManualClock) => {
	const state = { down: false, sent: [] as Sent[] };
	const fetch = (async (request: Request) => {
		state.sent.push({ line: `${request.method} ${new URL(request.url).pathname}`, key: request.headers.get('idempotency-key'), body: await request.text() });
		if (state.down) {
			throw new TypeError('fetch failed');
		}

		return new Response('{}', { status: 201, headers: { 'content-type': 'application/json' } });
	}) as typeof globalThis.fetch;
	const api = createClient({ fetch, clock, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name, outbox: outbox({ resumeJitterMs: 0 }) });
	clients.push(api);
	return { api, state };
};

/**
 * A POST queued by a tab that then crashed while its first attempt was in flight: its record holds a lease
 * (`inFlightUntil`, `lease(now)`) nobody releases. Gives the store, the clock, the entry and what the write's first attempt sent.
 */
const crashedMidAttempt = async (lease: (now: number) => unknown) => {
	const name = `tabs-hunt20-${++made}`;
	const store = memoryStore(name);
	const clock = new ManualClock();
	const first = tab(name, store, clock);
	first.state.down = true;
	const error = await first.api.post('todos', { json: { title: 'tea', n: 1 } }).catch((caught: unknown) => caught);
	expect(error).toBeInstanceOf(OutboxQueuedError);
	first.api.close(); // The tab is gone; its lease stays stored.
	const [key] = (await store.keys()).filter((each) => each.startsWith('p|'));
	const record = (await store.get<Record<string, unknown>>(key!))!;
	await store.set(key!, { ...record, nextAttemptAt: clock.now(), inFlightUntil: lease(clock.now()) });
	return { name, store, clock, id: (error as OutboxQueuedError).entryId, sent: first.state.sent[0]! };
};

describe('a lease a crashed tab left: another tab replays the write when it ends, by itself, exactly once', () => {
	it.each([
		['a day ahead (cut to 60 000 ms after the entry was made)', (now: number) => now + 86_400_000, 60_000],
		['Number.MAX_VALUE ahead (cut likewise)', () => Number.MAX_VALUE, 60_000],
		['Infinity (cut likewise)', () => Infinity, 60_000],
		['within the bound: 45 000 ms ahead', (now: number) => now + 45_000, 45_000],
	])('%s', async (_, lease, endsAfter) => {
		const { name, store, clock, sent } = await crashedMidAttempt(lease);
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		const other = tab(name, store, clock);
		// Its first drain (the client's start) and this flush leave it alone: the lease holds.
		expect(await other.api.outbox.flush()).toMatchObject({ sent: 0, remaining: 1 });
		clock.advance(endsAfter - 1);
		await vi.advanceTimersByTimeAsync(endsAfter - 1);
		expect(other.state.sent).toEqual([]);
		clock.advance(1);
		await vi.advanceTimersByTimeAsync(1);
		// Before: nothing sent for a lease stored past the bound (the drain's timer was at the stored time, a day on).
		await vi.waitFor(async () => expect(await other.api.outbox.size()).toBe(0));
		expect(other.state.sent).toEqual([sent]);
		// Nothing more later, in this tab or a third one.
		const third = tab(name, store, clock);
		expect(await third.api.outbox.flush()).toMatchObject({ sent: 0, remaining: 0 });
		await vi.advanceTimersByTimeAsync(120_000);
		expect([other.state.sent.length, third.state.sent.length]).toEqual([1, 0]);
	});

	it.each([
		['NaN', () => Number.NaN],
		['a string', (now: number) => String(now + 86_400_000)],
		['in the past', (now: number) => now - 1],
	])('a stored lease that is %s holds nothing: replayed at once, once', async (_, lease) => {
		const { name, store, clock, sent } = await crashedMidAttempt(lease);
		const other = tab(name, store, clock);
		expect(await other.api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(other.state.sent).toEqual([sent]);
	});

	it('two tabs flush at once after the lease ended: one replay, byte-identical, with its Idempotency-Key', async () => {
		const { name, store, clock, sent } = await crashedMidAttempt((now) => now + 20_000);
		const one = tab(name, store, clock);
		const two = tab(name, store, clock);
		clock.advance(20_000);
		const [a, b] = await Promise.all([one.api.outbox.flush(), two.api.outbox.flush()]);
		expect(a.sent + b.sent).toBe(1);
		expect([...one.state.sent, ...two.state.sent]).toEqual([sent]);
		expect(sent.key).toMatch(/.+/);
	});
});
