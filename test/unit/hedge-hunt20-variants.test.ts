/**
 * Defect hunt, twentieth round (hedge and failover under one vocabulary). API.md: failover takes GET/HEAD
 * and calls the caller keyed ("an `Idempotency-Key` the caller gave, not one the outbox made"); the hedge's
 * keyed calls are the same calls: a write the outbox keyed for its own delivery is never sent twice at once.
 * A mirror is one mirror however often it is written; a caller's `ky.stop` in a mirror's run is its stop.
 */
import ky from 'ky';
import { describe, expect, it } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';
import { hedge } from '../../src/entries/hedge.js';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { held } from './counting-origin-kit.js';

/** Each attempt's path, Idempotency-Key and body, as the origin got it. */
const sentOf = async (pending: ReturnType<typeof held>['pending']): Promise<string[]> =>
	Promise.all(pending.map(async ({ request }) => `${new URL(request.url).pathname} ${request.headers.get('idempotency-key')} ${await request.clone().text()}`));

describe('hedge(): a write is hedged only when the caller keyed it, as failover sends only those to a mirror', () => {
	it('a POST the outbox keyed (no key of the caller\'s) is sent once; one keyed by the caller\'s header, option or client headers is hedged with its key and bytes', async () => {
		const { pending, fetch } = held();
		const api = createClient({
			fetch, retry: 0, timeout: false, retryBudget: false, breaker: false, staleCache: false, store: memoryStore,
			headers: { 'x-app': '1' }, outbox: outbox({ networkTimeoutMs: false }), hedge: hedge({ delayMs: 30 }),
		} as never);
		const hedged: string[] = [];
		api.on('hedge', ({ url }) => hedged.push(new URL(url).pathname));
		// The outbox's write first: its hedge timer, if any, runs out before the others'.
		const calls = [
			api.post('https://api.test/outbox', { json: { a: 1 } }),
			api.post('https://api.test/header', { json: { a: 2 }, headers: { 'Idempotency-Key': 'mine-1' } }),
			api.post('https://api.test/option', { json: { a: 3 }, idempotencyKey: 'mine-2' }),
		];
		await waitFor(() => hedged.includes('/header') && hedged.includes('/option'), 'the caller-keyed writes hedged');
		// Before: ['/outbox', '/header', '/option'], 6 attempts: the outbox's key was taken for the caller's.
		expect([hedged, pending.length]).toEqual([['/header', '/option'], 5]);
		const sent = await sentOf(pending);
		expect(sent.filter((line) => line.startsWith('/outbox'))).toEqual([expect.stringMatching(/^\/outbox [\da-f-]{36} \{"a":1\}$/)]);
		expect(sent.filter((line) => !line.startsWith('/outbox'))).toEqual(['/header mine-1 {"a":2}', '/option mine-2 {"a":3}', '/header mine-1 {"a":2}', '/option mine-2 {"a":3}']);
		for (const attempt of pending) {
			attempt.release(new Response('done', { status: 201 }));
		}

		expect(await Promise.all(calls.map(async (call) => (await call).status))).toEqual([201, 201, 201]);
		api.close();
	});

	it('an outbox replay (its key the outbox\'s) is not hedged; a GET sent with it is', async () => {
		const { pending, fetch } = held();
		const api = createClient({
			fetch, retry: 0, timeout: false, retryBudget: false, breaker: false, staleCache: false, store: memoryStore,
			outbox: outbox({ networkTimeoutMs: false, baseBackoffMs: 1 }), hedge: hedge({ delayMs: 30 }),
		} as never);
		const queued = api.post('https://api.test/write', { json: { a: 1 } });
		await waitFor(() => pending.length === 1, 'the first attempt');
		pending[0]!.release(new Response('busy', { status: 503 }));
		await expect(queued).rejects.toMatchObject({ code: 'QUEUED' });
		const hedged: string[] = [];
		api.on('hedge', ({ url }) => hedged.push(new URL(url).pathname));
		const flushed = api.outbox.flush();
		await waitFor(() => pending.length === 2, 'the replay');
		const read = api.get('https://api.test/read').text();
		await waitFor(() => hedged.includes('/read'), 'the read hedged');
		// Before: ['/write', '/read'] (the replay sent twice at once under the outbox's key).
		expect([hedged, pending.map(({ request }) => new URL(request.url).pathname)]).toEqual([['/read'], ['/write', '/write', '/read', '/read']]);
		for (const attempt of pending.slice(1)) {
			attempt.release(new Response('done', { status: 201 }));
		}

		expect([(await flushed).sent, await read]).toEqual([1, 'done']);
		api.close();
	});

	it('a GET, and a write keyed by the client\'s own headers, are still hedged', async () => {
		const { pending, fetch } = held();
		const api = createCore({ fetch, retry: 0, timeout: false, retryBudget: false, headers: { 'idempotency-key': 'client-1' }, hedge: hedge({ delayMs: 30 }) });
		const calls = [api.get('https://api.test/read').text(), api.put('https://api.test/put', { body: 'x' }).text()];
		await waitFor(() => pending.length === 4, 'both hedged');
		expect((await sentOf(pending)).sort()).toEqual(['/put client-1 x', '/put client-1 x', '/read client-1 ', '/read client-1 ']);
		pending[2]!.release(new Response('read'));
		pending[3]!.release(new Response('put'));
		expect(await Promise.all(calls)).toEqual(['read', 'put']);
		api.close();
	});
});

describe('failover(): a mirror is one mirror; the caller\'s stop in a mirror\'s run is its stop', () => {
	/** A transport that answers 503 everywhere and notes where each attempt went. */
	const down = () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(new URL(request.url).origin);
			return new Response('busy', { status: 503 });
		}) as typeof globalThis.fetch;
		return { sent, fetch };
	};

	it('a mirror written twice (or as the URL parser reads it the same: any case, its default port, a trailing slash) is tried once per call', async () => {
		const { sent, fetch } = down();
		const mirrors = ['https://eu.test', 'https://EU.test/', 'https://eu.test:443', 'https://us.test/api', 'https://us.test/api/'];
		const api = createCore({ fetch, retry: 0, retryBudget: false, failover: failover({ mirrors: { 'https://api.test': mirrors } }) });
		await expect(api.get('https://api.test/a')).rejects.toMatchObject({ response: { status: 503 } });
		// Before: ['https://api.test', 'https://eu.test' ×3, 'https://us.test' ×2]: each form sent the call to the mirror again.
		expect(sent).toEqual(['https://api.test', 'https://eu.test', 'https://us.test']);
		api.close();
	});

	it('a beforeRetry hook that returns ky.stop in a mirror\'s run resolves the call undefined, as without failover: no further mirror', async () => {
		const { sent, fetch } = down();
		let retries = 0;
		const api = createCore({
			fetch, retry: { limit: 1, delay: () => 0 }, retryBudget: false,
			// The primary's retry goes; the mirror's is stopped (an app that gives up after one retry per call).
			hooks: { beforeRetry: [() => (++retries > 1 ? ky.stop : undefined)] },
			failover: failover({ mirrors: { 'https://api.test': ['https://eu.test', 'https://us.test'] } }),
		});
		const failovers: string[] = [];
		api.on('failover', ({ mirror }) => failovers.push(mirror));
		const outcome = await api.get('https://api.test/a').then((response) => response, (error: Error) => `${error.name} ${error.message}`);
		// Before: 'HTTPError Request failed with status code 503: GET https://api.test/a', and sent to us.test too.
		expect([outcome, sent, failovers]).toEqual([undefined, ['https://api.test', 'https://api.test', 'https://eu.test'], []]);
		api.close();
	});
});
