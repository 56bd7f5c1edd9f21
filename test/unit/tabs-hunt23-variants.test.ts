/**
 * Defect hunt, twenty-third round (area: messages between tabs and the fleet coordinators). API.md "Reachability and
 * recovery" (the tabs of one name share a breaker, its counts and its recovery), "Request contexts (Cloudflare
 * Workers)" (a Durable Object coordinates a scope's breaker across isolates), "Sensitive data" (what another tab posts is
 * validated before use, a malformed message reported as `storage:error`). A scope is up to 8 192 characters in every
 * one of them (a `scope` function naming URLs gives URL-long ones; the breaker's records take them).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { breaker } from '../../src/entries/breaker.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { RateLimitedError, rateLimit } from '../../src/entries/rate-limit.js';
import { BreakerCoordinator } from '../../src/entries/cloudflare.js';
import { sharedCoordinator } from '../../src/breaker/shared.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin, origin, t0, windowEachTest } from './breaker-kit.js';

afterEach(() => {
	vi.unstubAllGlobals();
});

/** Scopes named by the host (the breaker's `scope` function, which every layer's scope follows): `edge` is 8 192 characters, `over` 8 193. */
const edge = `https://${'e'.repeat(8_192 - 8)}`;
const over = `${edge}x`;
const scopeOf = (url: string): string => ({ edge, over } as Record<string, string>)[new URL(url).hostname.split('.')[0]!] ?? new URL(url).origin;
let names = 0;

describe('a scope of up to 8 192 characters crosses the tabs in every part, as the breaker\'s does', () => {
	it('the throttle counts another tab\'s attempts at an 8 192-character scope; over it, the message is ignored and reported', async () => {
		vi.stubGlobal('WorkerGlobalScope', class {}); // a web worker: the throttle's channel opens
		const name = `h23-throttle-${names++}`;
		const api = createCore({ clock: new ManualClock(t0), name, retry: 0, breaker: breaker({ share: false, scope: scopeOf }), adaptiveThrottle: adaptiveThrottle(), fetch: (async () => new Response('')) as typeof fetch });
		const errors: string[] = [];
		api.on('storage:error', ({ part, operation }) => errors.push(`${part} ${operation}`));
		const other = new BroadcastChannel(`steadfetch:${name}:throttle`);
		const counted = (scope: string) => (api.stats()[scope]?.['throttle'] as { requests?: number } | undefined)?.requests;
		try {
			for (const host of ['edge.test', 'over.test', 'known.test']) {
				expect(await api.get(`https://${host}/x`).text()).toBe('');
			}

			other.postMessage({ scope: edge, requests: 30, accepts: 0 });
			other.postMessage({ scope: over, requests: 30, accepts: 0 });
			// Messages of one sender arrive in order: once this one counts, the others were heard.
			other.postMessage({ scope: 'https://known.test', requests: 2, accepts: 2 });
			await vi.waitFor(() => expect(counted('https://known.test')).toBe(3), { timeout: 10_000, interval: 5 });
			// Before: 1 (the edge scope's message ignored, reported as malformed: ['throttle channel', 'throttle channel']).
			expect([counted(edge), counted(over), errors]).toEqual([31, 1, ['throttle channel']]);
		} finally {
			other.close();
			api.close();
		}
	});

	it('the rate limiter blocks an 8 192-character scope another tab says is spent; over it, the message is ignored and reported', async () => {
		const name = `h23-ratelimit-${names++}`;
		const sent: string[] = [];
		const api = createCore({
			clock: new ManualClock(t0), name, retry: 0, breaker: breaker({ share: false, scope: scopeOf }), rateLimit: rateLimit({ share: true, maxResetMs: 10_000 }),
			fetch: (async (request: Request) => {
				sent.push(new URL(request.url).hostname);
				return new Response('');
			}) as typeof fetch,
		});
		const errors: string[] = [];
		api.on('storage:error', ({ part, operation }) => errors.push(`${part} ${operation}`));
		const other = new BroadcastChannel(`steadfetch:${name}:ratelimit`);
		const far = t0 + 3_600_000;
		try {
			expect(await api.get('https://known.test/first').text()).toBe('');
			other.postMessage({ v: 1, scope: edge, blockedUntil: far });
			other.postMessage({ v: 1, scope: over, blockedUntil: far });
			other.postMessage({ v: 1, scope: 'https://known.test', blockedUntil: far });
			await vi.waitFor(() => expect((api.stats()['https://known.test']?.['rateLimit'] as { blockedUntil?: number } | undefined)?.blockedUntil).toBe(t0 + 10_000), { timeout: 10_000, interval: 5 });
			const edgeCall = await api.get('https://edge.test/x').then(() => 'sent', (error: unknown) => error);
			// Before: 'sent' (the other tab's word ignored, reported as malformed).
			expect(edgeCall).toBeInstanceOf(RateLimitedError);
			expect(await api.get('https://over.test/x').text()).toBe('');
			expect([sent, errors]).toEqual([['known.test', 'over.test'], ['rateLimit channel']]);
		} finally {
			other.close();
			api.close();
		}
	});

	const sync = async (object: BreakerCoordinator, scope: string): Promise<[number, unknown]> => {
		const response = await object.fetch(new Request('https://steadfetch.coordinator/sync', { method: 'POST', body: JSON.stringify({ scope, message: { policy: { consecutiveFailures: 1, openMs: 1_000, maxOpenMs: 5_000, probeTimeoutMs: 1_000 }, outcomes: [1] } }) }));
		return [response.status, response.ok ? ((await response.json()) as { record: { scope: string; state: string } }).record.state : await response.text()];
	};
	const objectOf = () => {
		const storage = new Map<string, unknown>();
		return new BreakerCoordinator({ storage: { get: async (key) => structuredClone(storage.get(key)), put: async (key, value) => void storage.set(key, structuredClone(value)) } });
	};

	it('the Durable Object coordinator syncs an 8 192-character scope (any characters: a label of the app\'s own too); over it, 400', async () => {
		// Before: [400, 'Not a breaker sync'] for each (its bound was 2 048 characters, a message at most 16 384 bytes).
		for (const scope of [edge, 'é'.repeat(8_192), '\u{1F600}'.repeat(4_096), '\u{D800}'.repeat(8_192)]) {
			expect(await sync(objectOf(), scope), scope.slice(0, 12)).toEqual([200, 'open']);
		}

		expect(await sync(objectOf(), over)).toEqual([400, 'Not a breaker sync']);
	});
});

const clients = windowEachTest(); // a page: the breaker's channel opens

/**
 * Tabs of one name and store on one clock (at `t0`), their breakers shared (`openMs` 1 000); each its own origin
 * (answering 503 until `up()`); `events` lists `type scope reason` of the breaker events it heard.
 */
const tabsOf = () => {
	const clock = new ManualClock(t0);
	const name = `h23-forgot-${names++}`;
	const store = memoryStore(name);
	const open = () => {
		const server = new FakeOrigin();
		server.answer(503);
		const events: string[] = [];
		const api = createClient({ clock, random: () => 0.5, name, store: () => store, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { share: true, openMs: 1_000, maxOpenMs: 5_000 } });
		clients.push(api);
		for (const type of ['breaker:open', 'breaker:half-open', 'breaker:closed', 'storage:error'] as const) {
			api.on(type, (event) => events.push(`${type} ${'reason' in event ? `${event.scope} ${event.reason}` : `${event.part} ${event.operation}`}`));
		}

		const call = async (url = `${origin}/x`): Promise<string> => api.get(url).then((response) => String(response.status), (error: { code?: unknown; name: string }) => (typeof error.code === 'string' ? error.code : error.name));
		/** This tab meets `count` other scopes (its idle ones past `maxScopes`, 1 000, are forgotten). */
		const meet = (count: number): void => {
			for (let index = 0; index < count; index++) {
				api.breaker(`https://other-${index}.test`);
			}
		};

		return { api, server, events, call, meet };
	};

	/** `a` opens the origin's breaker (5 failures in a row); `b` hears it, never having called the origin, then meets 1 100 other scopes. */
	const openedThenForgotten = async () => {
		const a = open();
		const b = open();
		for (let index = 0; index < 5; index++) {
			expect(await a.call()).toBe('HTTPError');
		}

		await vi.waitFor(() => expect(b.events).toEqual([`breaker:open ${origin} shared`]));
		b.meet(1_100);
		return { a, b };
	};

	return { clock, name, open, openedThenForgotten };
};

describe('breaker: a scope another tab opened, known here only from its messages and forgotten past maxScopes', () => {
	it('gets `breaker:closed` in this tab when the other tab\'s probe closes it: this tab told `breaker:open`', async () => {
		const { clock, openedThenForgotten } = tabsOf();
		const { a, b } = await openedThenForgotten();
		clock.advance(1_000);
		a.server.up();
		expect(await a.call()).toBe('200'); // a's probe
		// Before: [`breaker:open ${origin} shared`] for good (the circuit forgotten, a closed record over a new closed one tells nothing).
		await vi.waitFor(() => expect(b.events).toEqual([`breaker:open ${origin} shared`, `breaker:closed ${origin} shared`]));
		expect(b.api.breaker(origin).state).toBe('closed');
	});

	it('still shows it open, and its first call there fails fast without telling `breaker:open` a second time', async () => {
		const { openedThenForgotten } = tabsOf();
		const { b } = await openedThenForgotten();
		// Before: 'closed' (forgotten), then the call read the stored state and told [… open shared, … open restored].
		expect(b.api.breaker(origin).state).toBe('open');
		expect(await b.call()).toBe('CIRCUIT_OPEN');
		expect(b.events).toEqual([`breaker:open ${origin} shared`]);
	});

	it('clear() in this tab tells its `breaker:closed` (reason `cleared`), as for a scope it still holds', async () => {
		const { openedThenForgotten } = tabsOf();
		const { a, b } = await openedThenForgotten();
		await b.api.clear();
		// Before: [`breaker:open ${origin} shared`] (what clear() closed in the store and the other tabs, this tab never told).
		expect(b.events).toEqual([`breaker:open ${origin} shared`, `breaker:closed ${origin} cleared`]);
		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('closed'));
	});

	it('a reload that could not read the store and asks the tabs for the scope is answered by this tab, the only one left that knows it open', async () => {
		const { name, openedThenForgotten } = tabsOf();
		const { a } = await openedThenForgotten(); // b, open, knows it only from a's messages, and forgot it
		a.api.close(); // the tab that opened it is gone
		const reload = new BroadcastChannel(`steadfetch:${name}:breaker`);
		clients.push(reload);
		const answers: Array<{ scope?: string; state?: string }> = [];
		reload.onmessage = (event: MessageEvent) => answers.push(event.data);
		reload.postMessage({ ask: origin });
		// Before: no answer (the circuit forgotten, this tab answered nothing), the reload took the scope for closed.
		await vi.waitFor(() => expect(answers.map(({ scope, state }) => `${scope} ${state}`)).toEqual([`${origin} open`]));
	});

	it('an isolation by hand in the other tab, forgotten here: its reset there is told here (`breaker:closed`, shared)', async () => {
		const { open } = tabsOf();
		const a = open();
		const b = open();
		await a.api.breaker.isolate(origin);
		await vi.waitFor(() => expect(b.events).toEqual([`breaker:open ${origin} shared`]));
		b.meet(1_100);
		await a.api.breaker.reset(origin);
		// Before: [`breaker:open ${origin} shared`] for good.
		await vi.waitFor(() => expect(b.events).toEqual([`breaker:open ${origin} shared`, `breaker:closed ${origin} shared`]));
	});
});

describe('breaker: another tab\'s open record with a huge count of failures in a row', () => {
	it('shows at most `consecutiveFailures` (the option), as a stored closed state\'s counts are bounded', async () => {
		const { name, open } = tabsOf();
		const tab = open();
		expect(await tab.call()).toBe('HTTPError'); // the scope is known and read here
		const other = new BroadcastChannel(`steadfetch:${name}:breaker`);
		clients.push(other);
		other.postMessage({ v: 2, scope: origin, state: 'open', openedAt: t0, reopensAt: t0 + 1_000, opens: 0, at: t0 + 1, failures: 1e9 });
		await vi.waitFor(() => expect(tab.api.breaker(origin).state).toBe('open'));
		// Before: 1000 (bounded only by the record's own bound), with `consecutiveFailures` 5.
		expect(tab.api.breaker(origin).consecutiveFailures).toBe(5);
	});

	it('so does a coordinator\'s answer (a Redis or a KV holds what any program wrote)', async () => {
		const clock = new ManualClock(t0);
		const garbled = sharedCoordinator(async (scope) => ({ record: { v: 2, scope, state: 'open', openedAt: clock.now(), reopensAt: clock.now() + 1_000, opens: 1, at: clock.now(), failures: 1e9 } }));
		const api = createCore({ clock, retry: 0, breaker: breaker({ shared: garbled, share: false }), fetch: (async () => new Response('')) as typeof fetch });
		clients.push(api);
		expect(await api.get(`${origin}/x`).then(() => 'sent', (error: { code?: string }) => error.code)).toBe('CIRCUIT_OPEN');
		// Before: 1000.
		expect(api.breaker(origin)).toMatchObject({ state: 'open', consecutiveFailures: 5 });
	});
});
