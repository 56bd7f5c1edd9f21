/**
 * Defect hunt, twenty-second round (area: messages from other tabs, and failover's option checks). API.md "Sensitive
 * data": "Records … received from another tab are validated before use: a malformed record is ignored and reported as
 * `storage:error`"; bad options are a `RangeError` naming the option at creation, before any I/O.
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { failover } from '../../src/entries/failover.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin, origin, t0, windowEachTest } from './breaker-kit.js';

/** A `fetch` answering 503 from `down`'s origins and 200 elsewhere, recording each URL it was sent. */
const recorded = (down: string) => {
	const sent: string[] = [];
	const fetch = (async (request: Request) => {
		sent.push(request.url);
		const status = new URL(request.url).origin === down ? 503 : 200;
		return Object.defineProperty(new Response(String(status), { status }), 'url', { value: request.url });
	}) as typeof globalThis.fetch;
	return { sent, fetch };
};

describe('failover({ mirrors }): a mirror whose path has an empty segment is a RangeError at creation', () => {
	for (const mirror of ['https://eu.example//', 'https://eu.example/api//', 'https://eu.example//api', 'https://eu.example/a//b']) {
		it(`${mirror} is refused, naming the option and the entry`, () => {
			// Before: accepted; a failed call went to https://eu.example//x (or /api//x, //api/x, /a//b/x): a path the
			// origin never had, from a slash too many in the option.
			expect(() => failover({ mirrors: { 'https://api.example': ['https://us.example', mirror] } })).toThrow(RangeError);
			expect(() => failover({ mirrors: { 'https://api.example': ['https://us.example', mirror] } })).toThrow(/failover\.mirrors\['https:\/\/api\.example'\]\[1\]/);
		});
	}

	it('an empty query, fragment or user info (`?`, `#`, `@`: nothing the URL parser keeps) is no part of the mirror: its attempts go to base + path', async () => {
		for (const mirror of ['https://eu.example/api?', 'https://eu.example/api#', 'https://@eu.example/api', 'https://eu.example/api/']) {
			const { sent, fetch } = recorded('https://api.example');
			const api = createCore({ retry: 0, retryBudget: false, fetch, failover: failover({ mirrors: { 'https://api.example': [mirror] } }) });
			const response = await api.get('https://api.example/x?q=1');
			api.close();
			expect([response.status, sent], mirror).toEqual([200, ['https://api.example/x?q=1', 'https://eu.example/api/x?q=1']]);
		}
	});

	it('a mirror with user info or a non-empty query or fragment is still refused', () => {
		for (const mirror of ['https://u:p@eu.example', 'https://u@eu.example', 'https://eu.example/?a', 'https://eu.example/#a']) {
			expect(() => failover({ mirrors: { 'https://api.example': [mirror] } }), mirror).toThrow(RangeError);
		}
	});
});

describe('failover({ mirrors }): a mirror naming the primary\'s own host with a trailing dot', () => {
	it('is refused as a mirror of its own origin would be (its attempts reach the failing server again, past its open breaker)', async () => {
		for (const [primary, mirror] of [['https://api.example', 'https://api.example.'], ['https://api.example:8443', 'https://API.example.:8443/v1'], ['http://api.example.', 'http://api.example']]) {
			// Before: accepted; a failed call was sent again to the same server under another breaker scope
			// (sent ['https://api.example/x', 'https://api.example./x']).
			expect(() => failover({ mirrors: { [primary]: [mirror] } }), mirror).toThrow(/failover\.mirrors\[.*\]\[0\]/);
		}

		// Another port of the same host is another service: still a mirror.
		expect(() => failover({ mirrors: { 'https://api.example': ['https://api.example.:8443'] } })).not.toThrow();
	});
});

describe('failover({ mirrors }): a key with user info', () => {
	it('is refused without its password in the error message', () => {
		let message = '';
		try {
			failover({ mirrors: { 'https://svc:s3cret-pw@api.example': ['https://eu.example'] } });
		} catch (error) {
			message = `${(error as Error).name}: ${(error as Error).message}`;
		}

		// Before: "RangeError: `failover.mirrors['https://svc:s3cret-pw@api.example']` must be …": the key's password, in an
		// error an app logs at its start (the value was hidden, the option's name built from the key was not).
		expect(message).toMatch(/^RangeError: `failover\.mirrors\['https:\/\/svc:?@api\.example'\]`/);
		expect(message).not.toContain('s3cret-pw');
	});
});

const clients = windowEachTest(); // a page: the breaker's channel opens
let names = 0;

/**
 * A page's client of a name of its own, its breaker shared (a memory store, the clock at `t0`), its origin answering 200; `events`
 * lists `type scope reason` (or `storage:error part operation`). `post(...messages)` posts them on its breaker channel as another
 * tab would, then a marker it reports: once it is reported, every message before it was read. `answers`: what the tab posted.
 */
const page = () => {
	const clock = new ManualClock(t0);
	const name = `h22-tabs-${names++}`;
	const server = new FakeOrigin();
	const events: string[] = [];
	const api = createClient({ clock, random: () => 0.5, name, store: memoryStore, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { share: true, openMs: 1_000, maxOpenMs: 5_000 } });
	clients.push(api);
	for (const type of ['breaker:open', 'breaker:half-open', 'breaker:closed', 'storage:error'] as const) {
		api.on(type, (event) => events.push(`${type} ${'reason' in event ? `${event.scope} ${event.reason}` : `${event.part} ${event.operation}`}`));
	}

	const channel = new BroadcastChannel(`steadfetch:${name}:breaker`);
	const answers: unknown[] = [];
	channel.onmessage = (event: MessageEvent) => answers.push(event.data);
	clients.push(channel);
	const reported = () => events.filter((event) => event === 'storage:error breaker channel').length;
	const post = async (...messages: unknown[]): Promise<void> => {
		const before = reported();
		for (const message of [...messages, 'a marker']) {
			channel.postMessage(message);
		}

		await vi.waitFor(() => expect(reported()).toBeGreaterThan(before), { timeout: 5_000, interval: 5 });
	};

	const call = async (url = `${origin}/x`): Promise<string> => api.get(url).then((response) => String(response.status), (error: { code?: unknown; name: string }) => (typeof error.code === 'string' ? error.code : error.name));
	// What the tab posted in answer to an ask (not the outcomes of its own calls, which it tells the tabs too).
	const asked = () => answers.filter((answer) => !('outcome' in Object(answer)));
	return { api, clock, server, events, answers, asked, post, call, reported, channel, name };
};

/** An open record of `scope` as a tab that opened it at `t0` tells it. */
const opened = (scope: string) => ({ v: 2, scope, state: 'open', openedAt: t0, reopensAt: t0 + 1_000, opens: 0, at: t0 + 1, failures: 5 });

describe('breaker: other tabs\' messages of wrong types, with prototype keys, after close()', () => {
	it('wrong types, non-finite times and over-long scopes are ignored and reported one by one; objects of no version (arrays too) ignored quietly; nothing opens', async () => {
		const tab = page();
		expect(await tab.call()).toBe('200');
		const bad: unknown[] = [
			null, 5, 'open', true,
			{ ask: 7 }, { ask: ['https://api.test'] },
			{ ...opened(origin), openedAt: Number.NaN }, { ...opened(origin), reopensAt: Number.POSITIVE_INFINITY }, { ...opened(origin), at: Number.NaN },
			{ ...opened(origin), opens: 1.5 }, { ...opened(origin), opens: -1 }, { ...opened(origin), scope: 5 }, { ...opened(origin), scope: `https://${'a'.repeat(9_000)}.test` },
			{ ...opened(origin), state: 'half-open' }, { ...opened(origin), isolated: 'yes' }, { ...opened(origin), unanswered: 1 },
		];
		const quiet: unknown[] = [[], Array.from({ length: 10_000 }, () => opened(origin)), { ...opened(origin), v: 3 }, { scope: origin }];
		await tab.post(...bad, ...quiet);
		expect(tab.reported()).toBe(bad.length + 1); // and the marker
		expect(tab.events.filter((event) => !event.startsWith('storage:error'))).toEqual([]);
		expect([tab.api.breaker(origin).state, await tab.call()]).toEqual(['closed', '200']);
	});

	it('an open state from the future is bounded by maxOpenMs; one whose period ended long ago lets the next call through as the probe', async () => {
		const tab = page();
		expect(await tab.call()).toBe('200');
		await tab.post({ ...opened(origin), openedAt: t0 + 3_600_000, reopensAt: t0 + 7_200_000 });
		expect(tab.api.breaker(origin)).toMatchObject({ state: 'open', openedAt: t0, reopensAt: t0 + 5_000 });
		tab.clock.advance(5_000);
		expect(await tab.call()).toBe('200');
		expect(tab.api.breaker(origin).state).toBe('closed');
	});

	it('`__proto__`, `constructor` and `toString` as scope names are scopes like any other: opened, asked for and answered apart; the origin\'s breaker stays closed', async () => {
		const tab = page();
		expect(await tab.call()).toBe('200');
		const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
		await tab.post(...names.map(opened));
		expect(tab.events.filter((event) => event.startsWith('breaker:'))).toEqual(names.map((scope) => `breaker:open ${scope} shared`));
		await tab.post(...names.map((ask) => ({ ask })), { ask: 'valueOf' });
		await vi.waitFor(() => expect(tab.asked().map((answer) => (answer as { scope?: string }).scope)).toEqual(names));
		expect([tab.api.breaker(origin).state, await tab.call()]).toEqual(['closed', '200']);
	});

	it('after close(): another tab\'s records and asks reach nothing — no event, no answer', async () => {
		const closing = page();
		expect(await closing.call()).toBe('200');
		await closing.post(opened('https://down.test'));
		expect(closing.events).toEqual(['breaker:open https://down.test shared', 'storage:error breaker channel']);
		closing.api.close();
		const told = closing.answers.length;
		// A client of the name still open hears the same messages: once it reported the marker, they were delivered.
		const open = createClient({ name: closing.name, store: memoryStore, breaker: { share: true }, fetch: (async () => new Response('ok')) as typeof fetch });
		clients.push(open);
		let heard = 0;
		open.on('storage:error', () => heard++);
		for (const message of [opened('https://other.test'), { ask: 'https://down.test' }, 'a marker']) {
			closing.channel.postMessage(message);
		}

		await vi.waitFor(() => expect(heard).toBe(1));
		expect(closing.events).toEqual(['breaker:open https://down.test shared', 'storage:error breaker channel']);
		expect(closing.answers).toHaveLength(told);
	});
});

describe('breaker: a scope of this build longer than 2 048 characters (a `scope` function naming URLs) crosses the tabs', () => {
	it('opened in one tab, it is open in the other, which reports nothing malformed', async () => {
		const store = memoryStore('h22-long-scope');
		const clock = new ManualClock(t0);
		const name = `h22-long-${names++}`;
		const url = `${origin}/search?q=${'a'.repeat(2_100)}`;
		const tabs = [0, 1].map(() => {
			const server = new FakeOrigin();
			server.answer(503);
			const events: string[] = [];
			const api = createClient({ clock, random: () => 0.5, name, store: () => store, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { share: true, scope: (at: string) => at } });
			clients.push(api);
			api.on('breaker:open', (event) => events.push(`open ${event.reason}`));
			api.on('storage:error', (event) => events.push(`storage:error ${event.part} ${event.operation}`));
			return { api, events, call: async () => api.get(url).then((response) => String(response.status), (error: { code?: unknown; name: string }) => (typeof error.code === 'string' ? error.code : error.name)) };
		});
		const [a, b] = tabs as [typeof tabs[0], typeof tabs[0]];
		for (let index = 0; index < 5; index++) {
			expect(await a.call()).toBe('HTTPError');
		}

		expect(a.api.breaker(url).state).toBe('open');
		// Before: b stayed closed, reporting each of a's messages (its counts, its opening) as malformed:
		// ['storage:error breaker channel', …] — the readers' bound (2 048) was below the scopes this build makes.
		await vi.waitFor(() => expect(b.api.breaker(url).state).toBe('open'));
		expect(b.events).toEqual(['open shared']);
		expect(await b.call()).toBe('CIRCUIT_OPEN');
	});
});
