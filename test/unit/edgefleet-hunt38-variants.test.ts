/**
 * Workers request contexts and the fleet coordinators, thirty-eighth round: the redirect hops of an attempt steadfetch
 * adds (a retry) in a request context whose subrequests are spent; a Durable Object's sync that the isolate gave up on.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { classify, createClient } from '../../src/entries/index.js';
import { BreakerCoordinator } from '../../src/cloudflare/index.js';
import { trace } from '../../src/entries/trace.js';
import type { SyncAnswer, SyncMessage } from '../../src/breaker/sync.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

const running: RunningServer[] = [];
const made: Array<{ close(): void }> = [];
afterEach(async () => {
	vi.restoreAllMocks();
	for (const client of made.splice(0)) {
		client.close();
	}

	await Promise.all(running.splice(0).map(async (server) => server.close()));
});

const incoming = (ms: string) => new Request('https://worker.test/', { headers: { 'request-timeout-ms': ms } });
const codeOf = async (promise: Promise<Response>): Promise<string> => promise.then((response) => String(response.status), (error: unknown) => classify(error).code);

describe('a request context whose subrequests are spent, with deadlineHeader (steadfetch follows the redirects)', () => {
	it('a retry\'s redirect hop past the limit is not sent: the call ends with the retry\'s previous failure', async () => {
		const seen: string[] = [];
		const own = await serve((request) => {
			const { pathname } = new URL(request.url);
			seen.push(pathname);
			if (pathname === '/x' && seen.length === 1) {
				return new Response('busy', { status: 503 });
			}

			// The retry is redirected again and again (a loop of the origin's, or a long chain): each hop one more subrequest.
			const hop = Number(pathname.slice(2) || 0) + 1;
			return new Response(null, { status: 302, headers: { location: `/x${hop}` } });
		});
		running.push(own);
		const api = createClient({ retry: { limit: 1, delay: () => 0 }, breaker: false, staleCache: false, prefix: `${own.url}/`, deadlineHeader: 'request-timeout-ms' });
		made.push(api);
		// 8 subrequests: steadfetch adds none of its own past 3 (5 kept for the Worker's own use).
		const here = api.withContext({ waitUntil: () => undefined }, { subrequests: 8, request: incoming('5000') });
		const code = await codeOf(here.get('x'));
		// Before: ['NETWORK', 22, 22] — the retry's hops were counted past the limit and sent (20, then fetch's own hop
		// limit): 22 subrequests of the 8 the context has, where the Worker's invocation fails past its plan's limit.
		expect([code, seen.length, here.stats().subrequests]).toEqual(['HTTP_5XX', 3, 3]);
	});

	it('the caller\'s own first attempt follows its redirects past the limit (a caller\'s first attempt is never refused)', async () => {
		const seen: string[] = [];
		const own = await serve((request) => {
			const { pathname } = new URL(request.url);
			seen.push(pathname);
			const hop = Number(pathname.slice(2) || 0) + 1;
			return hop > 5 ? new Response('ok') : new Response(null, { status: 302, headers: { location: `/x${hop}` } });
		});
		running.push(own);
		const api = createClient({ retry: 0, breaker: false, staleCache: false, prefix: `${own.url}/`, deadlineHeader: 'request-timeout-ms' });
		made.push(api);
		const here = api.withContext({ waitUntil: () => undefined }, { subrequests: 6, request: incoming('5000') });
		expect([await codeOf(here.get('x')), seen.length, here.stats().subrequests]).toEqual(['200', 6, 6]);
	});
});

describe('BreakerCoordinator: a sync the object reaches its write for after the isolate gave it up (2 s)', () => {
	const scope = 'https://fleet.example';
	const policy = { consecutiveFailures: 1, openMs: 30_000, maxOpenMs: 300_000, probeTimeoutMs: 10_000 };

	/** Objects of one scope over one storage, whose read answers `slowMs` late (a cold read of an object started again), on a clock moved by hand. */
	const objects = () => {
		const clock = { now: 1_700_000_000_000, slowMs: 0 };
		vi.spyOn(Date, 'now').mockImplementation(() => clock.now);
		vi.spyOn(performance, 'now').mockImplementation(() => clock.now - 1_600_000_000_000);
		const storage = new Map<string, unknown>();
		const started = () => new BreakerCoordinator({
			storage: {
				get: async (key: string) => {
					clock.now += clock.slowMs;
					return structuredClone(storage.get(key));
				},
				put: async (key: string, value: unknown) => void storage.set(key, structuredClone(value)),
			},
		});
		const syncOf = (object: BreakerCoordinator) => async (message: Partial<SyncMessage> | { throttle: object }): Promise<Response> => object.fetch(new Request('https://steadfetch.coordinator/sync', { method: 'POST', body: JSON.stringify({ scope, message: 'throttle' in message ? message : { policy, outcomes: [], jitter: 0.5, ...message } }) }));
		return { clock, storage, started, syncOf };
	};

	it('a probe it would grant 2.5 s after the sync came in is not granted: the fleet\'s probe slot stays free for the next isolate', async () => {
		const { clock, storage, started, syncOf } = objects();
		await syncOf(started())({ outcomes: [1] });
		clock.now += 30_000; // the open period over
		// The object started again (evicted): its first read of storage takes 2.5 s, and the isolate gave the sync up at 2 s.
		const object = started();
		clock.slowMs = 2_500;
		const late = await syncOf(object)({ probe: true });
		clock.slowMs = 0;
		const given = late.ok ? `granted ${((await late.json()) as SyncAnswer).granted !== undefined}` : 'refused';
		// Another isolate asks for the probe next: granted, the slot free (no isolate heard of the late grant to give it back).
		const next = await (await syncOf(object)({ probe: true })).json() as SyncAnswer;
		// Before: ['granted true', false] — the grant nobody took held the fleet's slot for 10 s, then counted as a failed
		// probe (re-opened, doubled): the origin probed by none meanwhile.
		expect([given, next.granted !== undefined]).toEqual(['refused', true]);
		expect((storage.get('state') as { probeAt: number }).probeAt).toBe(clock.now);
	});

	it('a throttle report it would count 2.5 s after it came in is not counted (the isolate counted it alone)', async () => {
		const { clock, storage, started, syncOf } = objects();
		clock.slowMs = 2_500;
		const late = await syncOf(started())({ throttle: { windowMs: 120_000, requests: 10, accepts: 0 } });
		// Before: [200, true] — the fleet's window counted a report the isolate gave up and counted alone.
		expect([late.status, storage.has('throttle')]).toEqual([503, false]);
	});

	it('a sync whose read takes 1.5 s is answered (within the isolate\'s 2 s, less the way back)', async () => {
		const { clock, started, syncOf } = objects();
		clock.slowMs = 1_500;
		const answer = await (await syncOf(started())({ outcomes: [1] })).json() as SyncAnswer;
		expect(answer.record.state).toBe('open');
	});
});

describe('trace(): a redirect the runtime would follow (no deadlineHeader) to an origin propagateTo does not name', () => {
	const traceHeaders = (request: Request): string[] => ['x-request-id', 'traceparent', 'tracestate'].filter((name) => request.headers.has(name));

	it('the other origin gets no X-Request-ID, traceparent or tracestate; the call\'s own origin gets them, also on a hop back', async () => {
		const seen: string[] = [];
		const other = await serve((request) => {
			seen.push(`other ${new URL(request.url).pathname} ${traceHeaders(request).join(',')}`);
			return new Response(null, { status: 307, headers: { location: `${own.url}/landed` } });
		});
		running.push(other);
		const own: RunningServer = await serve((request) => {
			const { pathname } = new URL(request.url);
			seen.push(`own ${pathname} ${traceHeaders(request).join(',')}`);
			return pathname === '/hop' ? new Response(null, { status: 302, headers: { location: `${other.url}/bounce` } }) : new Response('ok');
		});
		running.push(own);
		const api = createClient({ retry: 0, breaker: false, staleCache: false, prefix: `${own.url}/`, trace: trace() });
		made.push(api);
		const response = await api.get('hop', { headers: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: 'k=v' } });
		// Before: 'other /bounce x-request-id,traceparent,tracestate' — the runtime's fetch followed the redirect with every header.
		expect(seen).toEqual(['own /hop x-request-id,traceparent,tracestate', 'other /bounce ', 'own /landed x-request-id,traceparent,tracestate']);
		expect([response.status, response.redirected, new URL(response.url).pathname, await response.text()]).toEqual([200, true, '/landed', 'ok']);
	});

	it('propagateTo \'*\': every origin gets them, the runtime following as it would', async () => {
		const seen: string[] = [];
		const other = await serve((request) => {
			seen.push(`other ${traceHeaders(request).join(',')}`);
			return new Response('ok');
		});
		running.push(other);
		const own = await serve(() => new Response(null, { status: 302, headers: { location: `${other.url}/landed` } }));
		running.push(own);
		const api = createClient({ retry: 0, breaker: false, staleCache: false, prefix: `${own.url}/`, trace: trace({ propagateTo: '*' }) });
		made.push(api);
		expect((await api.get('hop')).status).toBe(200);
		expect(seen).toEqual(['other x-request-id,traceparent']);
	});
});
