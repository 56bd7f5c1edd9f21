/**
 * Workers request contexts and the fleet coordinators, thirty-eighth round: the redirect hops of an attempt steadfetch
 * adds (a retry) in a request context whose subrequests are spent; a Durable Object's sync that the isolate gave up on.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { classify, createClient } from '../../src/entries/index.js';
import { BreakerCoordinator } from '../../src/cloudflare/index.js';
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
