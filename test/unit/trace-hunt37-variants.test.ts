/**
 * Defect hunt, thirty-seventh round: the trace slot, `otel()` and `logger()` — secrets and bounds. Each test against the
 * line of API.md or the TSDoc it broke.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { createClient as createFull, memoryStore, outbox } from '../../src/entries/index.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';
import { trace } from '../../src/entries/trace.js';
import { failover } from '../../src/entries/failover.js';
import { waitFor } from '../helpers/wait-for.js';

describe('a logger sink that fails never fails a call, also asynchronously', () => {
	const reasons: unknown[] = [];
	const note = (reason: unknown): void => {
		reasons.push(reason);
	};

	afterEach(() => {
		process.off('unhandledRejection', note);
	});

	it('an async sink (a remote log shipper) that rejects: no unhandled rejection, the call succeeds', async () => {
		process.on('unhandledRejection', note);
		const failing = async (_record: LogRecord): Promise<void> => {
			throw new Error('log shipper down');
		};

		const api = createClient({ logger: logger({ info: failing, warn: failing, error: failing }), retry: 0, fetch: (async () => new Response('ok')) as typeof fetch });
		expect((await api.get('https://api.example.com/x')).status).toBe(200);
		// Unhandled rejections are told after a macrotask turn.
		await new Promise<void>((resolve) => {
			setImmediate(resolve);
		});
		await new Promise<void>((resolve) => {
			setImmediate(resolve);
		});
		api.close();
		expect(reasons.map(String)).toEqual([]);
	});
});

describe('trace headers go only to the propagateTo origins, also on an outbox replay after a failover mirror', () => {
	it('a keyed write whose mirror (in propagateTo) got the headers: its replay to the primary (not in propagateTo) carries none', async () => {
		const seen: Array<[string, string | null, string | null]> = [];
		let primaryUp = false;
		const fetch = (async (request: Request) => {
			const { host } = new URL(request.url);
			seen.push([host, request.headers.get('x-request-id'), request.headers.get('traceparent')]);
			return host === 'api.test' && primaryUp ? new Response('ok', { status: 201 }) : new Response('down', { status: 503 });
		}) as typeof globalThis.fetch;
		const api = createFull({
			fetch, baseUrl: 'https://api.test', store: memoryStore, retry: 0, breaker: false, staleCache: false, outbox: outbox({ baseBackoffMs: 1 }),
			trace: trace({ propagateTo: ['https://mirror.test'] }), failover: failover({ mirrors: { 'https://api.test': ['https://mirror.test'] } }),
		});
		const queued = await api.post('https://api.test/m', { json: { a: 1 }, headers: { 'Idempotency-Key': 'k-1' } }).then(() => 'sent', (error: unknown) => (error as Error).name);
		expect(queued).toBe('OutboxQueuedError');
		primaryUp = true;
		await waitFor(async () => {
			await api.outbox.flush();
			return seen.length >= 3;
		}, 'the replay');
		expect(seen.map(([host, id, parent]) => [host, id !== null, parent !== null])).toEqual([['api.test', false, false], ['mirror.test', true, true], ['api.test', false, false]]);
		api.close();
	});
});
