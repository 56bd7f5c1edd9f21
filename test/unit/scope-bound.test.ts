/**
 * State per scope is bounded (issue 33): a client forgets the least recently used idle scopes past
 * `maxScopes` (their counters, retry budget window, closed breaker, each policy's state), and never
 * an open breaker, a kill switch, a scope with calls in flight or waiting, an unhealthy one, or one
 * with pending outbox entries. A forgotten scope that comes back starts fresh and works as a new one.
 * (The heap figures, 30,000 origins in an isolated process: scope-heap.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { health } from '../../src/entries/health.js';
import { CircuitOpenError, classify, createClient, memoryStore, RateLimitedError, outbox } from '../../src/entries/index.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { maxScopes, scopes } from '../../src/utils/scopes.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin } from './breaker-kit.js';

const noop = (): undefined => undefined;

/** Call `count` scopes never called before (`https://f<n>.test`), 50 at a time, each answered 200. */
let flooded = 0;
const flood = async (api: { get(url: string): Promise<unknown> }, count = maxScopes + 100): Promise<void> => {
	for (let done = 0; done < count; done += 50) {
		await Promise.all(Array.from({ length: 50 }, async () => api.get(`https://f${flooded++}.test/`)));
	}
};

/** An origin that answers by host: `script[host]`, else 200. */
const byHost = (script: Record<string, (request: Request) => Response | Error | 'hang'>): FakeOrigin => {
	const server = new FakeOrigin();
	server.script = (request) => script[new URL(request.url).hostname]?.(request) ?? new Response('{}', { status: 200 });
	return server;
};

describe('scopes(): per-scope state, bounded', () => {
	it('forgets the least recently used idle scopes past maxScopes, never one `keep` holds, never a recent one', () => {
		const made: string[] = [];
		const held = new Set(['held']);
		const states = scopes((name) => {
			made.push(name);
			return { name };
		}, (value) => held.has(value.name));
		const first = states.scope('held');
		states.scope('idle');
		for (let index = 0; index < 3 * maxScopes; index++) {
			states.scope(`n${index}`);
			if (index % (maxScopes / 4) === 0) {
				states.scope('busy'); // Used again while fewer than maxScopes / 2 others were: kept.
			}
		}

		expect(states.get('idle')).toBeUndefined();
		expect(states.get('held')).toBe(first);
		expect(states.get('busy')).toBeDefined();
		expect(made.filter((name) => name === 'busy')).toHaveLength(1);
		const known = [...states.entries()].map(([name]) => name);
		expect(known.length).toBeLessThanOrEqual(maxScopes + 1);
		expect(known).toContain(`n${3 * maxScopes - 1}`);
		// `get` neither makes nor marks: the held scope, released, is forgotten like any other.
		held.clear();
		expect(states.get('never')).toBeUndefined();
		for (let index = 0; index < maxScopes; index++) {
			states.scope(`m${index}`);
		}

		expect(states.get('held')).toBeUndefined();
		expect(states.scope('idle')).toEqual({ name: 'idle' });
		expect(made.filter((name) => name === 'idle')).toHaveLength(2);
	});
});

describe('a client past maxScopes', () => {
	it('keeps open breakers and kill switches through a flood of other scopes; an idle scope is forgotten and comes back fresh', async () => {
		const clock = new ManualClock();
		const server = byHost({ 'down.test': () => new TypeError('Failed to fetch'), 'flaky.test': () => new Response('', { status: 503 }) });
		const api = createClient({ clock, store: memoryStore, fetch: server.fetch as typeof fetch, retry: 1, retryBudget: { ratio: 0, minRetries: 1 }, staleCache: false });
		for (let index = 0; index < 5; index++) {
			await api.get('https://down.test/x', { retry: 0 }).catch(noop);
		}

		await api.breaker.isolate('https://killed.test');
		// flaky.test: its budget window is spent (one retry, then one refused), one failure short of nothing.
		await api.get('https://flaky.test/a').catch(noop);
		await api.get('https://flaky.test/b').catch(noop);
		expect(api.stats()['https://flaky.test']).toMatchObject({ requests: 2, retries: 1, retriesRefused: 1, failures: { HTTP_5XX: 2 } });
		expect(api.breaker('https://flaky.test').consecutiveFailures).toBe(3);

		await flood(api);

		const stats = api.stats();
		expect(stats['https://flaky.test']).toBeUndefined();
		expect(Object.keys(stats).length).toBeLessThanOrEqual(maxScopes + 2);
		expect(stats['https://down.test']).toMatchObject({ requests: 5, failures: { NETWORK: 5 }, breaker: { state: 'open' } });
		expect(api.breaker('https://killed.test').state).toBe('open');
		const sent = server.requests.length;
		await expect(api.get('https://down.test/y')).rejects.toBeInstanceOf(CircuitOpenError);
		await expect(api.get('https://killed.test/y')).rejects.toBeInstanceOf(CircuitOpenError);
		expect(server.requests.length).toBe(sent);

		// flaky.test comes back as a new scope: its counters from zero, a fresh budget window (its retry
		// goes), a closed breaker counting from zero that opens at its 5th consecutive failure as any.
		expect(api.breaker('https://flaky.test')).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
		await api.get('https://flaky.test/c').catch(noop);
		expect(api.stats()['https://flaky.test']).toMatchObject({ requests: 1, retries: 1, retriesRefused: 0, failures: { HTTP_5XX: 1 } });
		expect(api.breaker('https://flaky.test').consecutiveFailures).toBe(2);
		await api.get('https://flaky.test/d', { retry: 0 }).catch(noop);
		await api.get('https://flaky.test/e', { retry: 0 }).catch(noop);
		expect(api.breaker('https://flaky.test')).toMatchObject({ state: 'closed', consecutiveFailures: 4 });
		await api.get('https://flaky.test/f', { retry: 0 }).catch(noop);
		expect(api.breaker('https://flaky.test').state).toBe('open');
		api.close();
	});

	it('never forgets a scope with a call in flight, an attempt waiting for a bulkhead slot, or a rate-limit block', async () => {
		const server = byHost({ 'slow.test': () => 'hang', 'limited.test': () => new Response('{}', { headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '30' } }) });
		const api = createClient({ store: memoryStore, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, bulkhead: bulkhead({ maxConcurrent: 1 }), rateLimit: rateLimit() });
		await api.get('https://idle.test/');
		await api.get('https://limited.test/'); // The server says its budget is spent for 30 s.
		const first = api.get('https://slow.test/1');
		const second = api.get('https://slow.test/2'); // Waits for the bulkhead's one slot.
		await expect.poll(() => api.stats()['https://slow.test']?.['bulkhead']).toEqual({ running: 1, queued: 1, rejected: 0 });
		await flood(api);

		expect(api.stats()['https://idle.test']).toBeUndefined();
		expect(api.stats()['https://slow.test']).toMatchObject({ requests: 2, successes: 0, bulkhead: { running: 1, queued: 1 } });
		// The lane was kept: a third call queues too instead of finding a fresh lane with a free slot.
		const third = api.get('https://slow.test/3');
		await expect.poll(() => api.stats()['https://slow.test']?.['bulkhead']).toMatchObject({ running: 1, queued: 2 });
		expect(server.requests.filter((request) => request.url.startsWith('https://slow.test'))).toHaveLength(1);
		// The server's block was kept: refused at once, no I/O.
		await expect(api.get('https://limited.test/')).rejects.toBeInstanceOf(RateLimitedError);

		// The call in flight is counted where it started: its breaker and its counters.
		server.pending.shift()!.resolve(new Response('', { status: 503 }));
		expect(await first.then(noop, (error: unknown) => classify(error).code)).toBe('HTTP_5XX');
		expect(api.breaker('https://slow.test').consecutiveFailures).toBe(1);
		for (const call of [second, third]) {
			await expect.poll(() => server.pending.length).toBe(1);
			server.pending.shift()!.resolve(new Response('{}', { status: 200 }));
			await call;
		}

		expect(api.stats()['https://slow.test']).toMatchObject({ requests: 3, successes: 2, failures: { HTTP_5XX: 1 }, bulkhead: { running: 0, queued: 0 } });
		api.close();
	});

	it('keeps an unhealthy scope (health()) with its counters, so its scope:healthy still comes', async () => {
		const clock = new ManualClock();
		let sick = true;
		const server = byHost({ 'sick.test': () => new Response('', { status: sick ? 503 : 200 }) });
		const api = createClient({ clock, store: memoryStore, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: false, health: health() });
		const events: string[] = [];
		api.on('scope:unhealthy', ({ scope }) => events.push(`unhealthy ${scope}`));
		api.on('scope:healthy', ({ scope }) => events.push(`healthy ${scope}`));
		await api.get('https://idle.test/');
		for (let index = 0; index < 10; index++) {
			await api.get('https://sick.test/').catch(noop);
		}

		expect(events).toEqual(['unhealthy https://sick.test']);

		await flood(api);

		expect(api.stats()['https://idle.test']).toBeUndefined();
		expect(api.stats()['https://sick.test']).toMatchObject({ requests: 10, failures: { HTTP_5XX: 10 }, errorRate: 1 });
		sick = false;
		clock.advance(30_000); // Past health's window: the next answer is the whole error rate.
		await api.get('https://sick.test/');
		expect(events).toEqual(['unhealthy https://sick.test', 'healthy https://sick.test']);
		api.close();
	});

	it('keeps the counters of a scope with writes pending in the outbox', async () => {
		const server = byHost({ 'queue.test': () => new Response('', { status: 503 }) });
		const api = createClient({ store: memoryStore, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: false, outbox: outbox({ baseBackoffMs: 600_000 }) });
		await api.get('https://idle.test/');
		await expect(api.post('https://queue.test/items', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });

		await flood(api);

		expect(api.stats()['https://idle.test']).toBeUndefined();
		expect(api.stats()['https://queue.test']).toMatchObject({ requests: 1, queued: 1 });
		expect(await api.outbox.size()).toBe(1);
		api.close();
	});
});
