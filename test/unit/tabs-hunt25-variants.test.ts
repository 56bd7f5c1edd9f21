/**
 * Defect hunt, twenty-fifth round (area: tabs and the recovery they see). API.md "Outbox" and "Read your own writes"
 * (every tab is told of every queued write, `pending-writes=N` the writes to that exact URL; every tab learns of a
 * delivered write), "Reachability and recovery" (a breaker another tab opened is this tab's too), "Sensitive data"
 * (another tab's message is outside input, bounded). Node's BroadcastChannel carries the messages (`document` faked).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { PendingWrites } from '../../src/outbox/pending-writes.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin, flush, origin, t0 } from './breaker-kit.js';
import { fakeWindow, type FakeWindow } from './outbox-helpers.js';

let names = 0;
let win: FakeWindow | undefined;
const closing: Array<{ close(): void }> = [];

afterEach(() => {
	for (const each of closing.splice(0)) {
		each.close();
	}

	win?.restore();
	win = undefined;
});

/** Two tabs' counts of one name's pending writes (`PendingWrites`), and how many malformed notes the second was told. */
const countsInTabs = () => {
	win = fakeWindow(); // tabs: the notes travel on BroadcastChannel
	const name = `h25-pending-${names++}`;
	const told = { malformed: 0 };
	const one = new PendingWrites(name, () => undefined);
	const other = new PendingWrites(name, () => told.malformed++);
	closing.push(one, other);
	return { name, one, other, told };
};

/** An absolute URL of `length` characters, its query string `fill` repeated. */
const longUrl = (length: number, fill = 'a', path = 'https://api.test/search?q='): string => path + fill.repeat(length - path.length);

describe('pending-writes: every tab counts a queued write whatever its URL\'s length', () => {
	it.each([8_193, 9_000, 100_000])('a write to a URL of %i characters counts 1 in the other tab, no storage:error', async (length) => {
		const { one, other, told } = countsInTabs();
		const url = longUrl(length);
		one.queued('a', 'ann', url, 'PATCH');
		one.queued('m', 'ann', 'https://api.test/marker', 'PATCH'); // posted after it: once counted there, the first was handled
		await vi.waitFor(() => expect(other.count('ann', 'https://api.test/marker')).toBe(1));
		// Before: 0, and told malformed once (the note's URL over 8 192 characters).
		expect([other.count('ann', url), told.malformed]).toEqual([1, 0]);
		one.gone('a');
		await vi.waitFor(() => expect(other.count('ann', url)).toBe(0));
	});

	it('two long URLs alike in their first 8 192 characters and their length are counted apart, in both tabs', async () => {
		const { one, other } = countsInTabs();
		const [first, second] = [`${longUrl(9_000)}b`, `${longUrl(9_000)}c`];
		one.queued('a', 'ann', first, 'PUT');
		one.queued('b', 'ann', first, 'PUT');
		one.queued('c', 'ann', second, 'PUT');
		await vi.waitFor(() => expect(other.count('ann', second)).toBe(1));
		expect([one.count('ann', first), one.count('ann', second), other.count('ann', first)]).toEqual([2, 1, 2]);
		expect(other.count('ann', longUrl(9_001))).toBe(0);
		expect(other.count('bob', first)).toBe(0); // another identity's lane
	});

	it('a long URL\'s percent-encodings are normalised as a short one\'s: `%7E` and `~` are one URL', async () => {
		const { one, other } = countsInTabs();
		one.queued('a', 'ann', `${longUrl(9_000)}%7e`, 'PUT');
		await vi.waitFor(() => expect(other.count('ann', `${longUrl(9_000)}~`)).toBe(1));
	});
});

describe('write:delivered: another tab\'s write to a URL over 8 192 characters', () => {
	it('is heard (its query left out: what the cache and syncInvalidation match is its path), with no storage:error', async () => {
		win = fakeWindow();
		const name = `h25-delivered-${names++}`;
		const reader = createCore({ name, retry: 0, fetch: (async () => new Response('ok')) as typeof fetch });
		closing.push(reader);
		const heard: string[] = [];
		reader.on('write:delivered', ({ method, url }) => heard.push(`${method} ${url.length}`));
		reader.on('storage:error', ({ part, operation }) => heard.push(`storage:error ${part} ${operation}`));
		const other = new BroadcastChannel(`steadfetch:${name}:world`);
		closing.push(other);
		other.postMessage({ v: 1, write: ['PATCH', longUrl(9_000, 'a', 'https://api.test/todos/1?tags=')] });
		other.postMessage({ v: 1, write: ['PUT', 'https://api.test/marker'] });
		await vi.waitFor(() => expect(heard.at(-1)).toBe(`PUT ${'https://api.test/marker'.length}`));
		// Before: ['storage:error world channel', 'PUT 23'].
		expect(heard).toEqual([`PATCH ${'https://api.test/todos/1'.length}`, 'PUT 23']);
	});
});

/**
 * Tabs of one name and store on one clock (at `t0`), breakers shared (`openMs` 30 000), over a FakeOrigin each; `meet(n)`
 * has a client meet `n` other scopes (past `maxScopes`, 1 000, its idle ones are forgotten).
 */
const breakerTabs = () => {
	win = fakeWindow();
	const clock = new ManualClock(t0);
	const name = `h25-breaker-${names++}`;
	const store = memoryStore(name);
	const open = (breakerOptions: object = {}, clientOptions: object = {}) => {
		const server = new FakeOrigin();
		const api = createClient({ clock, random: () => 0.5, name, store: () => store, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, ...clientOptions, breaker: { share: true, openMs: 30_000, ...breakerOptions } });
		closing.push(api);
		return { api, server };
	};

	return { clock, name, store, open };
};

/** What a call ended in: its status, or its error's code (else name). */
const outcomeOf = async (calling: Promise<Response>): Promise<string> => calling.then((response) => String(response.status), (error: { code?: unknown; name: string }) => (typeof error.code === 'string' ? error.code : error.name));

const meet = (api: { breaker(url: string): unknown }, count: number): void => {
	for (let index = 0; index < count; index++) {
		api.breaker(`https://other-${index}.test`);
	}
};

describe('breaker: a scope another tab opened, that this page\'s clients forgot past maxScopes', () => {
	it('online, with breaker.probe: the call of a client extend() made waits for its parent\'s early probe, and gets fresh data', async () => {
		const { open } = breakerTabs();
		const opener = open({ probe: '/health' });
		const page = open({ probe: '/health' });
		const child = page.api.extend({ headers: { 'x-child': '1' } });
		closing.push(child);
		opener.server.down();
		for (let index = 0; index < 5; index++) {
			expect(await outcomeOf(opener.api.get(`${origin}/x`))).toBe('NetworkError');
		}

		await vi.waitFor(() => expect([page.api.breaker(origin).state, child.breaker(origin).state]).toEqual(['open', 'open']));
		meet(page.api, 1_100);
		meet(child, 1_100);
		opener.api.close();
		page.server.hang();
		win!.setOnline(true);
		await vi.waitFor(() => expect(page.server.pending).toHaveLength(1)); // the early probe
		const call = outcomeOf(child.get(`${origin}/x`));
		await flush();
		await flush();
		page.server.up();
		page.server.settleAll(new Response('{}', { status: 200 }));
		expect(await call).toBe('200');
		expect(page.server.requests.map((request) => new URL(request.url).pathname)).toEqual(['/health', '/x']);
	});
});

describe('breaker: ky\'s retry of an answer whose scope another tab opened meanwhile, that this tab forgot', () => {
	it('is refused as for a scope it remembers: the call ends at once with the answer, no retry sent nor waited for', async () => {
		const { open } = breakerTabs();
		const opener = open({ openMs: 60_000 });
		opener.server.answer(503);
		// The app's afterResponse hook awaits something while the rest of the page goes on: meanwhile another tab opens the
		// scope on its own 503s, and this page meets 2 200 other scopes (a crawler): its circuit is forgotten, open.
		let during: (() => Promise<void>) | undefined;
		const tab = open({ openMs: 60_000 }, { retry: { limit: 1, backoffLimit: 100 }, hooks: { afterResponse: [async () => during?.()] } });
		tab.server.answer(503);
		during = async () => {
			during = undefined;
			meet(tab.api, 1_100);
			while (opener.api.breaker(origin).state !== 'open') {
				await outcomeOf(opener.api.get(`${origin}/x`)); // 503s (this tab's own counted too)
			}

			await vi.waitFor(() => expect(tab.api.breaker(origin).state).toBe('open'));
			meet(tab.api, 1_100);
		};
		const started = Date.now();
		// Before: 'CIRCUIT_OPEN' (ky's retry waited, then the breaker refused it).
		expect(await outcomeOf(tab.api.get(`${origin}/x`))).toBe('HTTPError');
		expect(tab.server.requests).toHaveLength(1);
		expect(Date.now() - started).toBeLessThan(5_000);
	});
});

describe('breaker: stats() of a scope another tab opened, that this tab\'s breaker forgot past maxScopes', () => {
	it('shows it open, as api.breaker() does', async () => {
		const { open } = breakerTabs();
		const opener = open();
		const tab = open();
		expect(await outcomeOf(tab.api.get(`${origin}/x`))).toBe('200'); // stats() counts the scope
		meet(tab.api, 1_100); // its closed circuit forgotten
		opener.server.answer(503);
		while (opener.api.breaker(origin).state !== 'open') {
			await outcomeOf(opener.api.get(`${origin}/x`));
		}

		await vi.waitFor(() => expect(tab.api.stats()[origin]?.breaker?.state).toBe('open'));
		meet(tab.api, 1_100); // known only from the other tab: forgotten, open
		// Before: 'closed' (a circuit made anew), while its calls are refused.
		expect(tab.api.stats()[origin]?.breaker?.state).toBe('open');
		expect(tab.api.breaker(origin).state).toBe('open');
	});
});
