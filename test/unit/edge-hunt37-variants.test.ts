/**
 * Request contexts (defect hunt, thirty-seventh round): `deadlineHeader` is a request's own — the remaining time of a
 * call in a request context, sent to the client's own origins only (API.md "Request contexts": "other origins never get
 * it, also not through a redirect"). A write queued in a request context is replayed later as background work, with no
 * deadline of that request: its replay carries no remaining time of a request long gone, and never takes it to another
 * origin through a redirect the runtime follows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { classify, createClient, memoryStore } from '../../src/entries/index.js';
import { outbox } from '../../src/entries/outbox.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

const running: RunningServer[] = [];
const made: Array<{ close(): void }> = [];
afterEach(async () => {
	for (const client of made.splice(0)) {
		client.close();
	}

	await Promise.all(running.splice(0).map(async (server) => server.close()));
});

const incoming = (ms: string) => new Request('https://worker.test/', { headers: { 'request-timeout-ms': ms } });
const codeOf = async (promise: Promise<Response>): Promise<string> => promise.then((response) => String(response.status), (error: unknown) => classify(error).code);

describe('a write queued in a request context with deadlineHeader, replayed later', () => {
	it('its replay carries no remaining time of the request that queued it, here nor at another origin a redirect leads to', async () => {
		const seen: string[] = [];
		const other = await serve((request) => {
			seen.push(`other ${request.method} ${new URL(request.url).pathname} ${request.headers.get('request-timeout-ms')}`);
			return new Response('ok');
		});
		running.push(other);
		const own = await serve((request) => {
			seen.push(`own ${request.method} ${new URL(request.url).pathname} ${request.headers.get('request-timeout-ms')}`);
			// The write moved: the runtime's fetch follows a replay's redirect (no deadline header set by steadfetch for it).
			return new Response(null, { status: 307, headers: { location: `${other.url}/moved` } });
		});
		running.push(own);
		const down = { now: true };
		const name = `h37-edge-${crypto.randomUUID()}`;
		const api = createClient({
			name, store: () => memoryStore(name), retry: 0, breaker: false, staleCache: false,
			prefix: `${own.url}/`, deadlineHeader: 'request-timeout-ms', outbox: outbox(),
			fetch: (async (request: Request, init?: RequestInit) => {
				if (down.now) {
					throw new TypeError('Failed to fetch');
				}

				return fetch(request, init);
			}) as typeof fetch,
		});
		made.push(api);
		const here = api.withContext({ waitUntil: () => undefined }, { request: incoming('5000') });
		expect(await codeOf(here.put('w', { json: { v: 1 } }))).toBe('QUEUED');
		down.now = false;
		// A later flush, outside the request: background work with no deadline.
		expect(await api.outbox.flush()).toEqual({ sent: 1, failed: 0, dead: 0, remaining: 0 });
		// Before: ['own PUT /w 49xx', 'other PUT /moved 49xx'] — the queuing request's remaining time, stored with the write.
		expect(seen).toEqual(['own PUT /w null', 'other PUT /moved null']);
	});
});
