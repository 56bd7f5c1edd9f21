/**
 * Round 18 (second wave): the retry budget of a client and the clients its `extend()` made (same `name` and `store`,
 * the child did not set its own `retryBudget`) is one budget per scope for the family, as the traffic policies'
 * state is: what one spends, another cannot. A child that sets its own `retryBudget` (options, `true` or `false`),
 * another `name`, another `store` or another `clock`, and a client `create()` made, have their own. A hedge pays
 * from it too. Each client's `stats()` counts the refusals of its own calls; `budget:exhausted` is told once per
 * window for the family (to the client whose retry was refused first).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/core.js';
import { createClient as createPreset } from '../../src/entries/index.js';
import { failover } from '../../src/entries/failover.js';
import { hedge } from '../../src/entries/hedge.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { sharedCoordinator } from '../../src/breaker/shared.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';

const origin = 'https://api.test';

/** An origin that answers every request 503 (the `/slow…` ones 200 after `slowMs`), and the paths sent to it in order. */
const overloaded = (slowMs = 300) => {
	const sent: string[] = [];
	const fetch = (async (request: Request) => {
		const { pathname } = new URL(request.url);
		sent.push(pathname);
		if (pathname.startsWith('/slow')) {
			// The origin's own latency (longer than the hedge's delay), not a wait of the test's.
			await new Promise((resolve) => setTimeout(resolve, slowMs));
			return new Response('slow but fine');
		}

		return new Response('down', { status: 503 });
	}) as typeof globalThis.fetch;
	return { sent, fetch };
};

/** One retry a window (`ratio` 0.1 of a few first attempts is none; `minRetries` 1), and one retry per call, at once. */
const oneRetry = { retryBudget: { ratio: 0.1, minRetries: 1, windowMs: 60_000 }, retry: { limit: 1, delay: () => 0 } } as const;

const statusOf = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'ok', (error: unknown) => `HTTP ${(error as { response?: Response }).response?.status ?? String(error)}`);
const refusedOf = (client: { stats(): Record<string, unknown> }): number | undefined => (client.stats()[origin] as { retriesRefused?: number } | undefined)?.retriesRefused ?? 0;
/** Who was told `budget:exhausted`, in order. */
const telling = (clients: Record<string, { on(type: 'budget:exhausted', listener: () => void): unknown }>) => {
	const told: string[] = [];
	for (const [name, client] of Object.entries(clients)) {
		client.on('budget:exhausted', () => told.push(name));
	}

	return told;
};

describe('retryBudget: one budget per scope for a client and the clients extend() made of it', () => {
	it('the parent spent the window\'s retry: the child\'s retry is refused (no I/O), told once for the family, each stats() counting its own refusals', async () => {
		const { sent, fetch } = overloaded();
		const api = createClient({ fetch, ...oneRetry });
		const child = api.extend({ headers: { a: '1' } });
		const told = telling({ api, child });
		expect(await statusOf(api.get(`${origin}/one`))).toBe('HTTP 503');
		expect(sent).toEqual(['/one', '/one']);
		expect(await statusOf(child.get(`${origin}/child`))).toBe('HTTP 503');
		// Before: sent ['/one', '/one', '/child', '/child'] (the child had a fresh budget of its own).
		expect(sent).toEqual(['/one', '/one', '/child']);
		expect(await statusOf(api.get(`${origin}/two`))).toBe('HTTP 503');
		expect(sent).toEqual(['/one', '/one', '/child', '/two']);
		// Once per window for the family: to the child, whose retry was refused first (before: ['api'], the parent's own window).
		expect(told).toEqual(['child']);
		expect([refusedOf(api), refusedOf(child)]).toEqual([1, 1]);
		api.close();
		child.close();
	});

	it('the child spent it: the parent\'s retry is refused, and so is a grandchild\'s', async () => {
		const { sent, fetch } = overloaded();
		const api = createClient({ fetch, ...oneRetry });
		const child = api.extend({ timeout: 5_000 });
		const grandchild = child.extend({ headers: { b: '2' } });
		expect(await statusOf(child.get(`${origin}/child`))).toBe('HTTP 503');
		expect(await statusOf(api.get(`${origin}/parent`))).toBe('HTTP 503');
		expect(await statusOf(grandchild.get(`${origin}/grandchild`))).toBe('HTTP 503');
		// Before: ['/child', '/child', '/parent', '/parent', '/grandchild', '/grandchild'].
		expect(sent).toEqual(['/child', '/child', '/parent', '/grandchild']);
		expect([refusedOf(api), refusedOf(child), refusedOf(grandchild)]).toEqual([1, 0, 1]);
		api.close();
		child.close();
		grandchild.close();
	});

	it('extend()\'s function form, given the parent\'s options and returning them with a header more, keeps the one budget', async () => {
		const { sent, fetch } = overloaded();
		// A clock of the app's (not a plain object: the function form gives it back as it is), and `retryBudget: undefined` (not given).
		const api = createClient({ fetch, name: 'hunt18b-budget-fn', store: memoryStore, clock: new ManualClock(), ...oneRetry });
		const child = api.extend((parent) => ({ ...parent, headers: { a: '1' } })).extend({ retryBudget: undefined } as never);
		expect(await statusOf(api.get(`${origin}/one`))).toBe('HTTP 503');
		expect(await statusOf(child.get(`${origin}/child`))).toBe('HTTP 503');
		// Before: ['/one', '/one', '/child', '/child'].
		expect(sent).toEqual(['/one', '/one', '/child']);
		api.close();
		child.close();
	});

	it('the preset\'s client (breaker and stale cache on) and its child share it', async () => {
		const { sent, fetch } = overloaded();
		const api = createPreset({ fetch, store: memoryStore, name: 'hunt18b-preset', ...oneRetry });
		const child = api.extend({ headers: { a: '1' } });
		expect(await statusOf(api.get(`${origin}/one`))).toBe('HTTP 503');
		expect(await statusOf(child.get(`${origin}/child`))).toBe('HTTP 503');
		// Before: ['/one', '/one', '/child', '/child'].
		expect(sent).toEqual(['/one', '/one', '/child']);
		expect([refusedOf(api), refusedOf(child)]).toEqual([0, 1]);
		api.close();
		child.close();
	});

	it('a hedge of the child pays from the family\'s budget: none left, none sent', async () => {
		const { sent, fetch } = overloaded();
		const api = createClient({ fetch, ...oneRetry, hedge: hedge({ delayMs: 10 }) });
		const child = api.extend({ headers: { a: '1' } });
		const hedges: string[] = [];
		child.on('hedge', ({ url }) => hedges.push(new URL(url).pathname));
		expect(await statusOf(api.get(`${origin}/one`))).toBe('HTTP 503');
		expect(await child.get(`${origin}/slow`).text()).toBe('slow but fine');
		// Before: ['/one', '/one', '/slow', '/slow'] and a hedge told (the child's own budget paid for it).
		expect([sent, hedges]).toEqual([['/one', '/one', '/slow'], []]);
		api.close();
		child.close();
	});

	it('the parent\'s hedge spent the budget: the child\'s retry is refused', async () => {
		const { sent, fetch } = overloaded();
		const api = createClient({ fetch, ...oneRetry, hedge: hedge({ delayMs: 10 }) });
		const child = api.extend({ headers: { a: '1' } });
		let hedged = 0;
		api.on('hedge', () => hedged++);
		expect(await api.get(`${origin}/slow`).text()).toBe('slow but fine');
		await waitFor(() => hedged === 1, 'the parent\'s hedge sent');
		expect(await statusOf(child.get(`${origin}/child`))).toBe('HTTP 503');
		// Before: ['/slow', '/slow', '/child', '/child'].
		expect(sent).toEqual(['/slow', '/slow', '/child']);
		api.close();
		child.close();
	});

	it('a failover mirror\'s retries too: the parent spent the primary\'s and the mirror\'s, the child\'s run to each is refused its retry', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(new URL(request.url).host);
			return new Response('busy', { status: 503 });
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, ...oneRetry, retry: { limit: 2, delay: () => 0 }, failover: failover({ mirrors: { 'https://primary.test': ['https://mirror.test'] } }) });
		const child = api.extend({ headers: { a: '1' } });
		expect(await statusOf(api.get('https://primary.test/a'))).toBe('HTTP 503');
		expect(sent).toEqual(['primary.test', 'primary.test', 'mirror.test', 'mirror.test']);
		sent.length = 0;
		expect(await statusOf(child.get('https://primary.test/b'))).toBe('HTTP 503');
		// Before: ['primary.test', 'primary.test', 'mirror.test', 'mirror.test'] (the child's own budget paid both).
		expect(sent).toEqual(['primary.test', 'mirror.test']);
		const stats = child.stats() as Record<string, { retriesRefused?: number }>;
		expect([stats['https://primary.test']?.retriesRefused, stats['https://mirror.test']?.retriesRefused]).toEqual([1, 1]);
		api.close();
		child.close();
	});

	it('separate: a child with its own retryBudget (options, true, false), another name, store or clock, and a client create() made', async () => {
		const { sent, fetch } = overloaded();
		const api = createClient({ fetch, name: 'hunt18b-budget', store: memoryStore, ...oneRetry });
		expect(await statusOf(api.get(`${origin}/one`))).toBe('HTTP 503');
		const others = {
			options: api.extend({ retryBudget: { ratio: 0.1 } }),
			true: api.extend({ retryBudget: true }),
			false: api.extend({ retryBudget: false }),
			name: api.extend({ name: 'hunt18b-budget-other' }),
			store: api.extend({ store: (namespace: string) => memoryStore(namespace) }),
			clock: api.extend({ clock: new ManualClock() }),
			create: api.create({ fetch, name: 'hunt18b-budget', store: memoryStore, ...oneRetry }),
		};
		for (const [key, other] of Object.entries(others)) {
			sent.length = 0;
			expect(await statusOf(other.get(`${origin}/${key}`)), key).toBe('HTTP 503');
			// Each retries from a budget of its own (its minRetries); the parent's spent one does not refuse it.
			expect(sent, key).toEqual([`/${key}`, `/${key}`]);
			expect(refusedOf(other), key).toBe(0);
			other.close();
		}

		// And none of them spent the parent's: its next retry is still refused, its own first refusal.
		sent.length = 0;
		expect(await statusOf(api.get(`${origin}/two`))).toBe('HTTP 503');
		expect([sent, refusedOf(api)]).toEqual([['/two'], 1]);
		api.close();
	});
});

describe('adaptiveThrottle(): the family\'s one channel to the tabs reports to every client of the family that runs', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	it('a child given its own clock reads the family\'s counts on the clock they are counted on: its stats() and its refusals are the parent\'s', async () => {
		const { sent, fetch } = overloaded();
		const parentClock = new ManualClock(1_000_000);
		const api = createClient({ retry: 0, fetch, clock: parentClock, random: () => 0, adaptiveThrottle: adaptiveThrottle({ minRequests: 2 }) });
		// A clock of its own, a day ahead (an app's test clock, a server's skewed one): the family's window is still one.
		const child = api.extend({ clock: new ManualClock(1_000_000 + 86_400_000) });
		expect(await statusOf(api.get(`${origin}/one`))).toBe('HTTP 503');
		expect(await statusOf(api.get(`${origin}/two`))).toBe('HTTP 503');
		const shown = (client: { stats(): Record<string, unknown> }) => (client.stats()[origin] as { throttle?: unknown } | undefined)?.throttle;
		const refused = await child.get(`${origin}/child`).then(() => 'ok', (error: unknown) => (error as { code?: string }).code);
		// Before: [undefined (ky's HTTPError, 503), ['/one', '/two', '/child']]: the child read the window at its own time (empty), and its call went out.
		expect([refused, sent]).toEqual(['THROTTLED', ['/one', '/two']]);
		expect(shown(child)).toEqual(shown(api));
		api.close();
		child.close();
	});

	it('a coordinator that fails (shared) is reported to the child whose call found it down, and to it alone once the parent closed', async () => {
		const coordinator = sharedCoordinator(async () => {
			throw new Error('coordinator down');
		});
		const { fetch } = overloaded();
		const api = createClient({ retry: 0, fetch, adaptiveThrottle: adaptiveThrottle({ shared: coordinator }) });
		const child = api.extend({ headers: { a: '1' } });
		const told: string[] = [];
		api.on('storage:error', ({ part, operation }) => told.push(`api ${part} ${operation}`));
		child.on('storage:error', ({ part, operation }) => told.push(`child ${part} ${operation}`));
		api.close();
		expect(await statusOf(child.get(`${origin}/child`))).toBe('HTTP 503');
		await waitFor(() => told.length >= 1, 'the child told');
		// Before: [] (told to the closed parent, whose listeners were gone).
		expect(told).toEqual(['child throttle shared']);
		child.close();
	}, 30_000);

	it('a malformed message from another tab is told to the parent and the child, and to the child alone once the parent closed', async () => {
		vi.stubGlobal('WorkerGlobalScope', class {}); // a worker: a context with tabs to share with
		const name = `hunt18b-throttle-tabs-${Date.now()}`;
		const otherTab = new BroadcastChannel(`steadfetch:${name}:throttle`);
		const api = createClient({ retry: 0, fetch: (async () => new Response('ok')) as typeof fetch, name, adaptiveThrottle: adaptiveThrottle() });
		const child = api.extend({ headers: { a: '1' } });
		const told: string[] = [];
		api.on('storage:error', ({ part, operation }) => told.push(`api ${part} ${operation}`));
		child.on('storage:error', ({ part, operation }) => told.push(`child ${part} ${operation}`));
		otherTab.postMessage({ scope: 5, requests: 'many' });
		await waitFor(() => told.length >= 2, 'both told');
		// Before: ['api throttle channel'] only (the family's channel reported to the client that opened it).
		expect(told.sort()).toEqual(['api throttle channel', 'child throttle channel']);
		api.close();
		otherTab.postMessage({ scope: 6, requests: -1, accepts: 0 });
		// Before: never told (to the closed parent, whose listeners were gone).
		await waitFor(() => told.length >= 3, 'the child told after the parent closed');
		expect(told.slice(2)).toEqual(['child throttle channel']);
		child.close();
		otherTab.close();
	}, 30_000);
});

describe('rateLimit(): a child given its own clock takes its tokens from the family\'s bucket on the clock it is kept on', () => {
	it('a child a day ahead is refused the token the parent spent; one a day behind waits what the parent would, not a day', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(new URL(request.url).pathname);
			return new Response('ok');
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, retry: 0, clock: new ManualClock(1_000_000), rateLimit: rateLimit({ perSecond: 0.001, burst: 1 }) });
		const ahead = api.extend({ clock: new ManualClock(1_000_000 + 86_400_000) });
		const behind = api.extend({ clock: new ManualClock(1_000) });
		expect(await statusOf(api.get(`${origin}/parent`))).toBe('ok');
		const refusal = async (client: typeof api, path: string) => client.get(`${origin}/${path}`).then(() => 'ok', (error: unknown) => `${(error as { code?: string }).code} ${(error as { retryAfterMs?: number }).retryAfterMs}`);
		// What the parent is told: the next token in 1,000 s.
		const parents = await refusal(api, 'parent-again');
		// Before: 'ok' (sent ['/parent', '/ahead']): its clock said the parent's token was due a day ago.
		expect(await refusal(ahead, 'ahead')).toBe(parents);
		// Before: 'RATE_LIMITED 87399000': a day and the token's 1,000 s.
		expect(await refusal(behind, 'behind')).toBe(parents);
		expect([parents, sent]).toEqual(['RATE_LIMITED 1000000', ['/parent']]);
		api.close();
		ahead.close();
		behind.close();
	});
});
