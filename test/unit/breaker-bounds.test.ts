/**
 * Time from outside never holds a scope open: a stored record or a message on the breaker's
 * channel with `reopensAt` (or `openedAt`, `at`) far in the future, or a clock that steps back, keep
 * a breaker open at most `maxOpenMs` by the clock as it reads now.
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin, origin, times } from './breaker-kit.js';

const t0 = 1_700_000_000_000;
const century = 100 * 365 * 86_400_000;
let names = 0;

const make = (store: KeyValueStore, clock: ManualClock, name: string) => {
	const server = new FakeOrigin();
	const api = createClient({ clock, random: () => 0.5, name, store: () => store, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { share: true, openMs: 1_000, maxOpenMs: 5_000 } });
	const call = async (): Promise<string> => api.get(origin + '/x').then((response) => String(response.status), (error: { code?: unknown; name: string }) => (typeof error.code === 'string' ? error.code : error.name));
	return { api, server, call };
};

describe('breaker: bounded time from outside', () => {
	it('a stored record that reopens in a century holds the scope open at most maxOpenMs', async () => {
		const clock = new ManualClock(t0);
		const store = memoryStore('bounds');
		await store.set(origin, { v: 1, scope: origin, state: 'open', openedAt: t0, reopensAt: t0 + century, opens: 1, at: t0 });
		const tab = make(store, clock, `bounds-${names++}`);
		expect(await tab.call()).toBe('CIRCUIT_OPEN');
		expect(tab.api.breaker(origin).reopensAt).toBe(t0 + 5_000);
		clock.advance(5_000);
		expect(await tab.call()).toBe('200'); // The probe.
		expect(tab.api.breaker(origin).state).toBe('closed');
		tab.api.close();
	});

	it('a record from the future (openedAt, at) is moved back to now, so later real changes still win', async () => {
		const clock = new ManualClock(t0);
		const store = memoryStore('bounds-future');
		await store.set(origin, { v: 1, scope: origin, state: 'open', openedAt: t0 + century, reopensAt: t0 + century + 1_000, opens: 40, at: t0 + century });
		const tab = make(store, clock, `bounds-${names++}`);
		expect(await tab.call()).toBe('CIRCUIT_OPEN');
		expect(tab.api.breaker(origin)).toMatchObject({ state: 'open', openedAt: t0, reopensAt: t0 + 1_000 });
		clock.advance(1_000);
		expect(await tab.call()).toBe('200');
		expect(tab.api.breaker(origin).state).toBe('closed');
		tab.api.close();
	});

	it('a message on the breaker channel that reopens in a century is bounded the same way', async () => {
		const clock = new ManualClock(t0);
		const name = `bounds-${names++}`;
		const tab = make(memoryStore('bounds-channel'), clock, name);
		expect(await tab.call()).toBe('200'); // Opens the channel's scope entry and the store read.
		const channel = new BroadcastChannel(`steadfetch:${name}:breaker`);
		channel.postMessage({ v: 1, scope: origin, state: 'open', openedAt: t0, reopensAt: t0 + century, opens: 1, at: t0 + 1 });
		await vi.waitFor(() => expect(tab.api.breaker(origin).state).toBe('open'));
		expect(tab.api.breaker(origin).reopensAt).toBe(t0 + 5_000);
		channel.close();
		tab.api.close();
	});

	it('a clock that steps back an hour after the breaker opened keeps it open maxOpenMs, not an hour', async () => {
		const clock = new ManualClock(t0);
		const tab = make(memoryStore('bounds-clock'), clock, `bounds-${names++}`);
		tab.server.down();
		await times(5, async () => tab.call());
		expect(tab.api.breaker(origin)).toMatchObject({ state: 'open', reopensAt: t0 + 1_000 });
		clock.set(t0 - 3_600_000);
		expect(await tab.call()).toBe('CIRCUIT_OPEN');
		clock.advance(1_000);
		tab.server.up();
		expect(await tab.call()).toBe('200'); // The probe, 1 s after the step back.
		expect(tab.api.breaker(origin).state).toBe('closed');
		tab.api.close();
	});
});
