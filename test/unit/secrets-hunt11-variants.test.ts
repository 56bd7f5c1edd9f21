/**
 * Secrets kept out of what is shown and stored, in the variants earlier rounds did not cover (defect
 * hunt, eleventh round, area G: secrets and identity). API.md "Sensitive data": the values of the
 * query parameters in `sensitiveParams` are "Never written to storage (IndexedDB, Cache API, any
 * store)", and "Every URL in an event, log record or span has its sensitive query values redacted".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTPError, breaker, createClient, memoryStore } from '../../src/entries/index.js';
import { failover } from '../../src/entries/failover.js';
import { logger } from '../../src/entries/logger.js';
import { dumpStore } from '../helpers/dump-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { shown } from '../helpers/shown.js';
import { until } from './outbox-helpers.js';

describe('a breaker scope the app makes of the whole URL (breaker({ scope: (url) => url }))', () => {
	/** A client whose breaker opens at the first failure, per URL, every answer a 503; what it stores, tells and logs. */
	const setup = (options: Record<string, unknown> = {}) => {
		const store = memoryStore('scope-secrets');
		const events: unknown[] = [];
		const records: unknown[] = [];
		const sink = { info: (record: unknown) => records.push(record), warn: (record: unknown) => records.push(record), error: (record: unknown) => records.push(record) };
		const api = createClient({
			baseUrl: 'https://api.test/', clock: new ManualClock(), store: () => store, name: 'scope-secrets', retry: 0, retryBudget: false,
			staleCache: false, outbox: false, sensitiveParams: ['session'], logger: logger(sink),
			breaker: breaker({ consecutiveFailures: 1, scope: (url: string) => url }),
			fetch: async () => new Response('down', { status: 503 }),
			...options,
		} as never);
		api.on('*', (event) => events.push(event));
		return { api, store, events, records };
	};

	it('keeps no sensitive query value in the store, an event, a log record, its CircuitOpenError or stats(): the URL without them is the scope', async () => {
		const { api, store, events, records } = setup();
		await api.get('a?token=SECRET-1&session=SECRET-2&page=2').catch(() => undefined); // Opens its breaker.
		const refused = await api.get('a?token=SECRET-1&session=SECRET-2&page=2').catch((error: unknown) => error);
		const scope = 'https://api.test/a?token=&session=&page=2';
		// Still one breaker per URL, as the app asked: the second call is refused.
		expect(refused).toMatchObject({ code: 'CIRCUIT_OPEN', scope });
		await until(async () => (await dumpStore(store)).includes('"open"'));
		const stored = await dumpStore(store);
		expect(stored).toContain(scope);
		expect(stored).not.toMatch(/SECRET/);
		expect(JSON.stringify(events)).toContain('"breaker:open"');
		expect(JSON.stringify(events)).not.toMatch(/SECRET/);
		expect(JSON.stringify(records)).not.toMatch(/SECRET/);
		expect(shown(refused)).not.toMatch(/SECRET/);
		expect(Object.keys(api.stats())).toEqual([scope]);
		expect(JSON.stringify(api.stats())).not.toMatch(/SECRET/);
		// A member given the URL finds the same breaker.
		expect(api.breaker('https://api.test/a?token=SECRET-1&session=SECRET-2&page=2').state).toBe('open');
		api.close();
	});

	it('an attempt a layer above sent elsewhere (a failover mirror): its breaker\'s scope keeps none either', async () => {
		const { api, store, events } = setup({ failover: failover({ mirrors: { 'https://api.test': ['https://mirror.test'] } }) });
		await api.get('b?token=SECRET-3&page=1').catch(() => undefined);
		await until(async () => (await dumpStore(store)).includes('https://mirror.test/b?token=&page=1'));
		expect(await dumpStore(store)).not.toMatch(/SECRET/);
		expect(JSON.stringify(events)).not.toMatch(/SECRET/);
		api.close();
	});
});

describe('the retry event\'s error when the failing answer came from a redirect (an API sending a presigned URL)', () => {
	let server: RunningServer;
	beforeAll(async () => {
		// `/file` redirects to a signed URL of the same origin, which answers 503 (S3's SlowDown), then 200.
		let signed = 0;
		server = await serve((request) => {
			const { pathname } = new URL(request.url);
			if (pathname === '/file') {
				return new Response(null, { status: 302, headers: { location: '/signed?X-Amz-Signature=SECRET-4&session=SECRET-5&part=1' } });
			}

			return signed++ === 0 ? new Response('slow down', { status: 503 }) : Response.json({ ok: true });
		});
	});
	afterAll(async () => server.close());

	it('names no sensitive query value of the answer\'s URL: ky\'s message names the request\'s, the answer\'s `url` is the signed one', async () => {
		const events: Array<{ type: string; error?: unknown }> = [];
		const api = createClient({ prefix: server.url, retry: { limit: 1, delay: () => 0 }, breaker: false, staleCache: false, sensitiveParams: ['session'] });
		api.on('retry', (event) => events.push(event));
		expect(await api.get('file').json()).toEqual({ ok: true });
		expect(events).toHaveLength(1);
		const { error } = events[0]!;
		// Still of ky's class, with ky's message (which names no secret here).
		expect(error).toBeInstanceOf(HTTPError);
		expect((error as Error).message).toContain(`${server.url}/file`);
		const seen = { ...(error as object), message: (error as Error).message, url: (error as { response?: Response }).response?.url };
		expect(JSON.stringify(seen)).not.toMatch(/SECRET/);
		api.close();
	});
});

describe('the retry event\'s error when the failing answer carries a credential header (a server runtime\'s fetch shows Set-Cookie)', () => {
	let server: RunningServer;
	beforeAll(async () => {
		// A 503 that sets the session cookie (a load balancer's sticky session) and echoes an app's sensitive header, then a 200.
		let calls = 0;
		server = await serve(() => calls++ % 2 === 0
			? new Response('busy', { status: 503, headers: { 'set-cookie': 'sid=SECRET-6; HttpOnly', 'set-cookie2': 'sid2=SECRET-8', 'x-session': 'SECRET-7', 'x-kept': 'kept' } })
			: Response.json({ ok: true }));
	});
	afterAll(async () => server.close());

	it('keeps the answer (status, URL, the other headers, ky\'s data) without them: no event carries a secret', async () => {
		const events: Array<{ type: string; error?: unknown }> = [];
		const api = createClient({ prefix: server.url, retry: { limit: 1, delay: () => 0 }, breaker: false, staleCache: false, sensitiveHeaders: ['X-Session'] });
		api.on('retry', (event) => events.push(event));
		expect(await api.get('page').json()).toEqual({ ok: true });
		expect(events).toHaveLength(1);
		const error = events[0]!.error as HTTPError;
		expect(error).toBeInstanceOf(HTTPError);
		const { response } = error;
		expect(response).toBeInstanceOf(Response);
		// Before: 'sid=SECRET-6; HttpOnly' from the event's error.response.headers.get('set-cookie').
		expect([response.status, response.statusText, response.url, response.headers.get('x-kept'), error.data]).toEqual([503, 'Service Unavailable', `${server.url}/page`, 'kept', 'busy']);
		expect([response.headers.get('set-cookie'), response.headers.get('set-cookie2'), response.headers.get('x-session')]).toEqual([null, null, null]);
		expect(JSON.stringify([...response.headers])).not.toMatch(/SECRET/);
		api.close();
	});
});
