/** `breaker.probe` (issue 15): a health request of its own is the half-open probe; callers fail fast until it succeeds. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { createClient } from '../../src/entries/core.js';
import { CircuitOpenError, memoryStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { FakeOrigin, origin } from './breaker-kit.js';

let server: RunningServer;
/** Every request the origin saw: method, path and the `x-probe` header. */
const seen: string[] = [];
let healthy = false;
beforeAll(async () => {
	server = await serve(async (request) => {
		const url = new URL(request.url);
		seen.push(`${request.method} ${url.pathname}${request.headers.has('x-probe') ? ' x-probe' : ''}`);
		return new Response(healthy ? 'ok' : 'down', { status: healthy ? 200 : 503 });
	});
});
afterAll(async () => server.close());

const setup = (probe: string | ((scope: string) => Request)) => {
	seen.length = 0;
	healthy = false;
	const clock = new ManualClock();
	const api = createClient({ clock, random: () => 0.5, retry: 0, retryBudget: false, breaker: breaker({ consecutiveFailures: 1, openMs: 1_000, probe, share: false }) });
	const changes: string[] = [];
	for (const type of ['breaker:open', 'breaker:half-open', 'breaker:closed'] as const) {
		api.on(type, (event) => changes.push(`${type.slice(8)} ${event.reason}`));
	}

	return { clock, api, changes };
};

describe('breaker.probe', () => {
	it('while half-open the probe URL is the only request the origin sees; callers fail fast until it succeeds', async () => {
		const { clock, api, changes } = setup('/health');
		await expect(api.get(`${server.url}/items`)).rejects.toMatchObject({ response: { status: 503 } });
		clock.advance(1_000);
		// The open period is over: this caller's call is not the probe; it fails fast while /health goes out.
		await expect(api.get(`${server.url}/items`)).rejects.toBeInstanceOf(CircuitOpenError);
		await vi.waitFor(() => expect(changes).toContain('open probe-failed'));
		expect(seen).toEqual(['GET /items', 'GET /health']);
		clock.advance(2_000); // the next, longer period
		healthy = true;
		await expect(api.get(`${server.url}/items`)).rejects.toBeInstanceOf(CircuitOpenError);
		await vi.waitFor(() => expect(api.breaker(server.url).state).toBe('closed'));
		expect(seen).toEqual(['GET /items', 'GET /health', 'GET /health']);
		expect((await api.get(`${server.url}/items`)).status).toBe(200);
		expect(changes).toEqual(['open consecutive-failures', 'half-open open-elapsed', 'open probe-failed', 'half-open open-elapsed', 'closed probe-succeeded']);
		api.close();
	});

	it('a probe answered 404 is a failed probe, and a function probe makes its own Request for the scope', async () => {
		const scopes: string[] = [];
		const { clock, api, changes } = setup((scope) => {
			scopes.push(scope);
			return new Request(`${scope}/ready`, { method: 'HEAD', headers: { 'x-probe': '1' } });
		});
		await expect(api.get(`${server.url}/a`)).rejects.toThrow();
		clock.advance(1_000);
		await expect(api.get(`${server.url}/a`)).rejects.toBeInstanceOf(CircuitOpenError);
		await vi.waitFor(() => expect(changes).toContain('open probe-failed'));
		expect(scopes).toEqual([server.url]);
		expect(seen).toEqual(['GET /a', 'HEAD /ready x-probe']);
		api.close();
	});

	it('waitForHealthy sends the probe itself each time the breaker lets one through, with no caller', async () => {
		const { clock, api, changes } = setup('/health');
		await expect(api.get(`${server.url}/items`)).rejects.toThrow();
		const waiting = api.waitForHealthy(server.url, { timeoutMs: 20_000 });
		clock.advance(1_000);
		// waitForHealthy asks the breaker at most every second (real time): the probe follows within it.
		// Wait for its failure to be counted (at this clock time) before the clock moves on.
		await vi.waitFor(() => expect(changes).toContain('open probe-failed'), { timeout: 8_000 });
		expect(seen).toEqual(['GET /items', 'GET /health']);
		healthy = true;
		clock.advance(2_000);
		await waiting;
		expect(seen).toEqual(['GET /items', 'GET /health', 'GET /health']);
		expect(api.breaker(server.url).state).toBe('closed');
		api.close();
	}, 20_000);

	it('waitForHealthy probes a scope another tab opened, with no call of its own', async () => {
		seen.length = 0;
		healthy = false;
		const clock = new ManualClock();
		const name = `probe-tabs-${Math.random()}`;
		const make = () => createClient({ clock, random: () => 0.5, name, store: memoryStore, retry: 0, retryBudget: false, breaker: breaker({ consecutiveFailures: 1, openMs: 1_000, probe: '/health', share: true }) });
		const [a, b] = [make(), make()];
		await expect(a.get(`${server.url}/items`)).rejects.toThrow();
		await vi.waitFor(() => expect(b.breaker(server.url).state).toBe('open'));
		healthy = true;
		clock.advance(1_000);
		await b.waitForHealthy(server.url, { timeoutMs: 5_000 });
		expect(seen).toEqual(['GET /items', 'GET /health']);
		a.close();
		b.close();
	});

	it('the probe goes through the client\'s transport, never through the fetch of a call made before', async () => {
		const mine = new FakeOrigin();
		const theirs = new FakeOrigin(); // a per-user cookie jar, a test double
		const clock = new ManualClock();
		const api = createClient({ clock, random: () => 0.5, fetch: mine.fetch as typeof fetch, retry: 0, retryBudget: false, breaker: breaker({ consecutiveFailures: 1, openMs: 1_000, probe: '/health', share: false }) });
		const changes: string[] = [];
		api.on('breaker:open', (event) => changes.push(event.reason));
		expect((await api.get(`${origin}/own`, { fetch: theirs.fetch as typeof fetch })).status).toBe(200);
		mine.down();
		await expect(api.get(`${origin}/x`)).rejects.toThrow();
		clock.advance(1_000);
		await expect(api.get(`${origin}/x`)).rejects.toBeInstanceOf(CircuitOpenError); // the probe goes instead
		await vi.waitFor(() => expect(changes).toEqual(['consecutive-failures', 'probe-failed']));
		mine.up();
		clock.advance(2_000);
		await api.waitForHealthy(origin, { timeoutMs: 5_000 });
		const paths = (origin_: FakeOrigin) => origin_.requests.map((request) => new URL(request.url).pathname);
		expect(paths(mine)).toEqual(['/x', '/health', '/health']);
		expect(paths(theirs)).toEqual(['/own']);
		api.close();
	});

	it('with a custom scope (not a URL), an absolute probe URL is sent as it is and closes the breaker', async () => {
		const mine = new FakeOrigin();
		const clock = new ManualClock();
		const api = createClient({ clock, random: () => 0.5, fetch: mine.fetch as typeof fetch, retry: 0, retryBudget: false, breaker: breaker({ consecutiveFailures: 1, openMs: 1_000, probe: `${origin}/health`, scope: () => 'api', share: false }) });
		mine.down();
		await expect(api.get(`${origin}/x`)).rejects.toThrow();
		expect(api.breaker('api').state).toBe('open');
		mine.up();
		clock.advance(1_000);
		await api.waitForHealthy('api', { timeoutMs: 2_000 });
		expect(mine.requests.map((request) => request.url)).toEqual([`${origin}/x`, `${origin}/health`]);
		api.close();
	});

	it('a probe that cannot be made counts as failed; bad options are a RangeError at creation', async () => {
		const { clock, api, changes } = setup(() => {
			throw new Error('no probe today');
		});
		await expect(api.get(`${server.url}/x`)).rejects.toThrow();
		clock.advance(1_000);
		await expect(api.get(`${server.url}/x`)).rejects.toBeInstanceOf(CircuitOpenError);
		expect(changes.at(-1)).toBe('open probe-failed');
		expect(seen).toEqual(['GET /x']);
		api.close();
		expect(() => breaker({ probe: '' })).toThrow(/breaker\.probe/);
		expect(() => breaker({ probe: 42 as never })).toThrow(RangeError);
	});
});
