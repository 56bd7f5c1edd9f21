/**
 * Secrets and bounds, the variants earlier rounds left (defect hunt, fifth round, area J): a password
 * in a URL's userinfo, a URL's fragment in the cache key, what comes from outside past its bounds.
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';
import { createClient, InvalidRequestError } from '../../src/entries/index.js';
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
