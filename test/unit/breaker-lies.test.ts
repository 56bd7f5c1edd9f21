/**
 * Messages on the breaker's channel (and stored records) are outside input: any script of the
 * origin can post one. A lie must be bounded by the options before use, and never cut a tab off
 * from the other tabs' real changes.
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin, origin, times } from './breaker-kit.js';

const t0 = 1_700_000_000_000;
const century = 100 * 365 * 86_400_000;
let names = 0;

/** Tabs of one name: one store, one clock, each its own transport. */
const tabs = (store: KeyValueStore = memoryStore(`lies-${names}`)) => {
	const clock = new ManualClock(t0);
	const name = `lies-${names++}`;
	const make = () => {
		const server = new FakeOrigin();
		const errors: string[] = [];
		const api = createClient({ clock, random: () => 0.5, name, store: () => store, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { share: true, openMs: 1_000, maxOpenMs: 5_000 } });
		api.on('storage:error', (event) => errors.push(event.operation));
		const call = async (): Promise<string> => api.get(origin + '/x').then((response) => String(response.status), (error: { code?: unknown; name: string }) => (typeof error.code === 'string' ? error.code : error.name));
		return { api, server, errors, call, state: () => api.breaker(origin).state };
	};

	/** Post `data` on the channel as another script of the origin would, and wait until every tab got it. */
	const lie = async (data: unknown, ...heard: Array<ReturnType<typeof make>>): Promise<void> => {
		const channel = new BroadcastChannel(`steadfetch:${name}:breaker`);
		channel.postMessage(data);
		channel.postMessage('a marker'); // malformed: reported once it is read, after the lie
		const before = heard.map(({ errors }) => errors.length);
		await vi.waitFor(() => expect(heard.map(({ errors }, index) => errors.length - before[index]!)).toEqual(heard.map(() => 1)));
		channel.close();
	};

	return { clock, make, lie, name, store };
};

describe('breaker: a message from another tab that lies', () => {
	it('a closed state "from the future" does not make the tabs ignore each other: an opening in one still reaches the other', async () => {
		const { make, lie } = tabs();
		const a = make();
		const b = make();
		expect([await a.call(), await b.call()]).toEqual(['200', '200']);
		await lie({ v: 2, scope: origin, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: t0 + century }, a, b);
		a.server.down();
		await times(5, async () => a.call());
		expect(a.state()).toBe('open');
		await vi.waitFor(() => expect(b.state()).toBe('open'));
		expect(await b.call()).toBe('CIRCUIT_OPEN');
		a.api.close();
		b.api.close();
	});

	it('an open state "from the future": one tab\'s probe that closes it closes every tab', async () => {
		const { make, lie, clock } = tabs();
		const a = make();
		const b = make();
		expect([await a.call(), await b.call()]).toEqual(['200', '200']);
		await lie({ v: 2, scope: origin, state: 'open', openedAt: t0, reopensAt: t0 + 1_000, opens: 0, at: t0 + century }, a, b);
		expect([a.state(), b.state()]).toEqual(['open', 'open']);
		clock.advance(1_000);
		expect(await a.call()).toBe('200'); // a's probe
		expect(a.state()).toBe('closed');
		await vi.waitFor(() => expect(b.state()).toBe('closed'));
		a.api.close();
		b.api.close();
	});

	it('a flood of open states of scopes this tab never met holds nothing: past the scopes a client keeps, they are forgotten; the store keeps what was stored, read at the scope\'s first call', async () => {
		const { make, name, store } = tabs();
		const tab = make();
		tab.server.down();
		await times(5, async () => tab.call()); // its own open scope: kept, whatever the flood
		const stored = { v: 2, scope: 'https://x0.test', state: 'open', openedAt: t0, reopensAt: t0 + 1_000, opens: 0, at: t0 };
		await store.set('https://x0.test', stored); // as the tab that opened it would
		const channel = new BroadcastChannel(`steadfetch:${name}:breaker`);
		for (let index = 0; index < 3_000; index++) {
			channel.postMessage({ ...stored, scope: `https://x${index}.test` });
		}

		channel.postMessage('a marker');
		await vi.waitFor(() => expect(tab.errors).toHaveLength(1));
		channel.close();
		expect([tab.api.breaker('https://x2999.test').state, tab.api.breaker('https://x1.test').state, tab.state()]).toEqual(['open', 'closed', 'open']);
		tab.server.up();
		expect(await tab.api.get('https://x0.test/x').then(() => 'sent', (error: { code?: string }) => error.code)).toBe('CIRCUIT_OPEN');
		tab.api.close();
	});
});

describe('breaker: changes in one tab within the same millisecond', () => {
	it('reset() right after isolate(), the clock unmoved: the reset reaches the other tab', async () => {
		const { make } = tabs();
		const a = make();
		const b = make();
		expect([await a.call(), await b.call()]).toEqual(['200', '200']);
		await a.api.breaker.isolate(origin);
		await vi.waitFor(() => expect(b.state()).toBe('open'));
		await a.api.breaker.reset(origin);
		expect(a.state()).toBe('closed');
		await vi.waitFor(() => expect(b.state()).toBe('closed'));
		expect(await b.call()).toBe('200');
		a.api.close();
		b.api.close();
	});

	it('opened, closed by hand, opened and closed again, all in one millisecond: each change reaches the other tab', async () => {
		const { make } = tabs();
		const a = make();
		const b = make();
		expect([await a.call(), await b.call()]).toEqual(['200', '200']);
		a.server.down();
		await times(5, async () => a.call());
		await vi.waitFor(() => expect(b.state()).toBe('open'));
		await a.api.breaker.reset(origin);
		await vi.waitFor(() => expect(b.state()).toBe('closed'));
		a.server.down();
		await times(5, async () => a.call());
		await vi.waitFor(() => expect(b.state()).toBe('open'));
		a.server.up();
		await a.api.breaker.reset(origin);
		await vi.waitFor(() => expect(b.state()).toBe('closed'));
		a.api.close();
		b.api.close();
	});
});
