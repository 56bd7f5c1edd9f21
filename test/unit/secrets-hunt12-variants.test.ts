/**
 * Secrets kept out of what is stored and shown, in the variants earlier rounds did not cover (defect
 * hunt, twelfth round, area V: secrets and identity). API.md "Sensitive data": the values of
 * `Authorization`, `Cookie`, `sensitiveHeaders` and of the query parameters in `sensitiveParams` are
 * "Never written to storage (IndexedDB, Cache API, any store)".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox, type Client, type OutboxPolicy } from '../../src/entries/index.js';
import { dumpStore } from '../helpers/dump-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { createHandler, createState } from '../helpers/server-handler.js';

let server: RunningServer;
beforeAll(async () => {
	server = await serve(createHandler(createState()));
});
afterAll(async () => server.close());

describe('an outbox entry\'s lastError names no secret its replay\'s own request carried', () => {
	/**
	 * A client whose `beforeRequest` hook adds the user's credential to every request, replays too (the
	 * README's recipe): `header` sets `Authorization`, `param` adds `&access_token=` to the URL, while a token is known.
	 */
	const setup = (name: string, options: Record<string, unknown> = {}) => {
		const store = memoryStore(name);
		const token: { value?: string; in: 'header' | 'param' } = { in: 'header' };
		const make = (more: Record<string, unknown> = {}) => createClient({
			baseUrl: `${server.url}/`, clock: new ManualClock(), random: () => 0.5, store: () => store, name, retry: 0, retryBudget: false,
			breaker: false, staleCache: false, timeout: 200,
			hooks: {
				beforeRequest: [({ request }: { request: Request }) => {
					if (token.value !== undefined && token.in === 'param') {
						return new Request(`${request.url}&access_token=${token.value}`, request);
					}

					if (token.value !== undefined) {
						request.headers.set('authorization', `Bearer ${token.value}`);
					}

					return undefined;
				}],
			},
			outbox: outbox({ baseBackoffMs: 1000, ...more }),
			...options,
		} as never) as Client<{ outbox: OutboxPolicy }>;
		return { store, token, make };
	};

	it('a replay whose hook set a header value fetch refuses (Node\'s error names it): neither stored nor listed', async () => {
		const { store, token, make } = setup('lasterror-header');
		const api = make();
		// Queued while signed out (no token): its first attempt answered 503.
		await api.post('mutate?id=lasterror-header&fail=503', { json: { n: 1 } }).catch(() => undefined);
		expect(await api.outbox.size()).toBe(1);
		// A token read with a line break in it (a corrupted storage value): fetch refuses the header at the replay.
		token.value = 'part\nSECRET-1';
		await api.outbox.flush();
		const [entry] = await api.outbox.list();
		expect(entry?.lastError?.message).toMatch(/invalid header value/);
		expect(JSON.stringify(entry)).not.toMatch(/SECRET/);
		expect(await dumpStore(store)).not.toMatch(/SECRET/);
		api.close();
	});

	it('a replay whose hook put the token in the URL and that timed out (ky\'s TimeoutError names the URL): its value removed', async () => {
		const { store, token, make } = setup('lasterror-param');
		const api = make();
		await api.post('hang?id=lasterror-param', { json: { n: 2 } }).catch(() => undefined);
		expect(await api.outbox.size()).toBe(1);
		token.in = 'param';
		token.value = 'SECRET-2';
		await api.outbox.flush();
		const [entry] = await api.outbox.list();
		expect(entry?.lastError).toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('hang?id=lasterror-param&access_token=') });
		expect(JSON.stringify(entry)).not.toMatch(/SECRET/);
		expect(await dumpStore(store)).not.toMatch(/SECRET/);
		api.close();
	});

	it('migrate() giving a header value fetch refuses: the dead letter\'s message names no value', async () => {
		const { store, make } = setup('lasterror-migrate');
		const old = make();
		await old.post('mutate?id=lasterror-migrate&fail=503', { json: { n: 3 } }).catch(() => undefined);
		expect(await old.outbox.size()).toBe(1);
		old.close();
		const api = make({ version: 2, migrate: (entry: { headers: Record<string, string> }) => ({ ...entry, headers: { ...entry.headers, 'x-api-key': 'part\nSECRET-3' } }) });
		await api.outbox.flush();
		const [dead] = await api.outbox.deadLetters();
		expect(dead).toMatchObject({ deadReason: 'migrate', lastError: { code: 'INVALID_REQUEST', message: expect.stringMatching(/invalid header value/) } });
		expect(JSON.stringify(dead)).not.toMatch(/SECRET/);
		expect(await dumpStore(store)).not.toMatch(/SECRET/);
		api.close();
	});
});
