/**
 * Secrets and bounds, the variants earlier rounds left (defect hunt, fifth round, area J): a password
 * in a URL's userinfo, a URL's fragment in the cache key, what comes from outside past its bounds.
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';
import { type Client, createClient, InvalidRequestError, isStale, memoryStore, outbox, type OutboxPolicy } from '../../src/entries/index.js';
import { logger } from '../../src/entries/logger.js';
import { otel } from '../../src/entries/otel.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
afterAll(async () => provider.shutdown());

/** An error as a logger shows it: its message, and its causes' messages and fields. */
const shown = (error: unknown): string => {
	const parts: string[] = [];
	for (let each = error as { message?: unknown; cause?: unknown } | undefined, depth = 0; each && depth < 5; each = each.cause as typeof each, depth++) {
		parts.push(String(each.message), JSON.stringify(each));
	}

	return parts.join('\n');
};

describe('a password in a URL\'s userinfo is shown by no message, record or span', () => {
	it('a call: its InvalidRequestError (message and cause), the logger\'s record and the otel span\'s status say the URL without the password', async () => {
		const records: unknown[] = [];
		const sink = { info: (record: unknown) => records.push(record), warn: (record: unknown) => records.push(record), error: (record: unknown) => records.push(record) };
		const api = createCore({ retry: 0, logger: logger(sink), trace: otel({ tracer: provider.getTracer('userinfo') }), fetch: (async () => new Response('ok')) as typeof fetch });
		const errors: unknown[] = [];
		for (const input of ['https://user:TOPSECRET@api.test/a', new URL('https://user:TOPSECRET@api.test/b'), 'https://user:TOP@SECRET@api.test/c', 'https://user:TOPSECRET@api .test/d']) {
			errors.push(await api.get(input).catch((error: unknown) => error));
		}

		expect(errors.map((error) => error instanceof InvalidRequestError)).toEqual([true, true, true, true]);
		// Before: "Invalid request: Request cannot be constructed from a URL that includes credentials: https://user:TOPSECRET@api.test/a".
		expect((errors[0] as Error).message).toBe('Invalid request: Request cannot be constructed from a URL that includes credentials: https://user:@api.test/a');
		const spans = exporter.getFinishedSpans().map((span) => [span.status, span.attributes]);
		expect(spans).toHaveLength(4);
		expect(JSON.stringify([errors.map(shown), records, spans])).not.toMatch(/SECRET/);
		api.close();
	});

	it('a member that takes a URL (cache.delete, breaker(), waitForHealthy) names it without the password in its error', async () => {
		const api = createClient({ retry: 0 });
		const outcomes = [
			await api.cache.delete('https://user:TOPSECRET@api .test/a').catch((error: unknown) => error),
			await api.waitForHealthy('https://user:TOPSECRET@api .test/a', { timeoutMs: 10 }).catch((error: unknown) => error),
		];
		try {
			api.breaker('https://user:TOPSECRET@api .test/a');
		} catch (error) {
			outcomes.push(error);
		}

		expect(outcomes.map((error) => error instanceof InvalidRequestError)).toEqual([true, true, true]);
		// Before: "Invalid URL: https://user:TOPSECRET@api .test/a".
		expect((outcomes[0] as Error).message).toBe('Invalid URL: https://user:@api .test/a');
		expect(outcomes.map(shown).join('\n')).not.toMatch(/SECRET/);
		api.close();
	});

	it('an option refused at createClient (a failover mirror with credentials) names it without the password', () => {
		const error = (() => {
			try {
				failover({ mirrors: { 'https://api.test': ['https://user:TOPSECRET@mirror.test'] } });
			} catch (error_) {
				return error_ as Error;
			}
		})();
		// Before: '`failover.mirrors[\'https://api.test\'][0]` must be … got "https://user:TOPSECRET@mirror.test"'.
		expect(error).toBeInstanceOf(RangeError);
		expect(error?.message).toMatch(/got "https:\/\/user:@mirror\.test"$/);
	});
});

describe('a URL\'s fragment is no part of what the cache and the outbox key by (fetch never sends it)', () => {
	/** A client whose origin answers `{ path }` while up, and fails (network) while down. */
	const setup = () => {
		const state = { down: false, sent: [] as string[] };
		const api = createClient({
			retry: 0, breaker: false, store: memoryStore, name: `fragment-${Math.random()}`, outbox: outbox({ coalesce: true, resumeJitterMs: 0 }),
			fetch: (async (request: Request) => {
				state.sent.push(`${request.method} ${request.url}`);
				if (state.down) {
					throw new TypeError('fetch failed');
				}

				return Response.json({ path: new URL(request.url).pathname });
			}) as typeof fetch,
		}) as Client<{ outbox: OutboxPolicy }>;
		return { api, state };
	};

	it('a copy stored for /a#1 answers /a#2; cache.list() shows one URL without its fragment; cache.delete(\'/a#3\') removes it', async () => {
		const { api, state } = setup();
		await api.get('https://api.test/a#1').json();
		await vi.waitFor(async () => expect(await api.cache.list()).toHaveLength(1), { timeout: 5000 });
		state.down = true;
		const answer = await api.get('https://api.test/a#2').catch((error: unknown) => error);
		// Before: a NetworkError (the copy was keyed with `#1`), and cache.list() said https://api.test/a#1.
		expect(answer instanceof Response && isStale(answer)).toBe(true);
		expect((await api.cache.list()).map(({ url }) => url)).toEqual(['https://api.test/a']);
		await api.cache.delete('https://api.test/a#3');
		expect(await api.cache.list()).toEqual([]);
		api.close();
	});

	it('with coalesce, a queued PUT of /a#2 supersedes the pending PUT of /a#1: the same resource', async () => {
		const { api, state } = setup();
		state.down = true;
		for (const hash of ['#1', '#2']) {
			await api.put(`https://api.test/a${hash}`, { json: { hash } }).catch(() => undefined);
		}

		// Before: two entries, https://api.test/a#1 and https://api.test/a#2, both replayed.
		expect((await api.outbox.list()).map(({ url }) => url)).toEqual(['https://api.test/a']);
		api.close();
	});
});
