/**
 * Hunt 22: what events, log records and the trace headers show of what came from outside (API.md "Sensitive data",
 * "Boundaries"): an error answer's own credential headers and the URLs its headers name, a URL's password in an
 * error's message, the caller's request id where the trace layer never saw it, an incoming `tracestate` of any
 * length, and a `deadlineHeader` that would overwrite a credential or a trace header.
 */
import { HTTPError } from 'ky';
import { describe, expect, it } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { createClient, type KeyValueStore } from '../../src/entries/index.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';
import { trace } from '../../src/entries/trace.js';
import { until } from './outbox-helpers.js';

/** A `fetch` that answers each request with the next of `answers` (the last again), and keeps a copy of what it was sent. */
const scripted = (...answers: Array<() => Response>) => {
	const seen: Request[] = [];
	const fetch = async (request: Request) => {
		seen.push(request.clone());
		return answers[Math.min(seen.length, answers.length) - 1]!();
	};

	return { seen, fetch: fetch as typeof globalThis.fetch };
};

const capture = () => {
	const records: LogRecord[] = [];
	const sink = { info: (record: LogRecord) => records.push(record), warn: (record: LogRecord) => records.push(record), error: (record: LogRecord) => records.push(record) };
	return { records, sink };
};

/** The error the `retry` event shows of a 503 answered with `headers` (then a 200). */
const retryError = async (headers: Record<string, string>): Promise<HTTPError> => {
	const { fetch } = scripted(() => new Response('busy', { status: 503, headers: { ...headers, 'X-Kept': 'kept' } }), () => Response.json({ ok: true }));
	const errors: unknown[] = [];
	const api = createCore({ fetch, prefix: 'https://a.test/', retry: { limit: 1, delay: () => 0 } });
	api.on('retry', (event) => errors.push(event.error));
	expect(await api.get('item').json()).toEqual({ ok: true });
	api.close();
	expect(errors).toHaveLength(1);
	const error = errors[0] as HTTPError;
	expect(error).toBeInstanceOf(HTTPError);
	expect([error.response.status, error.response.headers.get('x-kept'), error.data]).toEqual([503, 'kept', 'busy']);
	expect(JSON.stringify([...error.response.headers])).not.toMatch(/S-/);
	return error;
};

describe('the retry event\'s error answer', () => {
	it('shows none of the answer\'s own credential headers (Authentication-Info, Proxy-Authentication-Info)', async () => {
		const { headers } = (await retryError({ 'Authentication-Info': 'nextnonce="S-nonce1", rspauth="S-proof1"', 'Proxy-Authentication-Info': 'nextnonce="S-nonce2"' })).response;
		// Before: 'nextnonce="S-nonce1", rspauth="S-proof1"' and 'nextnonce="S-nonce2"'.
		expect([headers.get('authentication-info'), headers.get('proxy-authentication-info')]).toEqual([null, null]);
	});

	it('shows the URLs its headers name (Location, Content-Location, Link) without a password or a sensitive query value', async () => {
		const { headers } = (await retryError({
			'Location': 'https://user:S-pass1@a.test/next?token=S-tok1&page=2',
			'Content-Location': 'https://a.test/doc?X-Amz-Signature=S-sig2',
			'Link': '<https://a.test/p?access_token=S-tok3>; rel="next", <https://u:S-pass4@b.test/>; rel="alternate"',
		})).response;
		// Before: each as the server sent it ('https://user:S-pass1@a.test/next?token=S-tok1&page=2', …).
		expect([headers.get('location'), headers.get('content-location'), headers.get('link')]).toEqual([
			'https://a.test/next?token=&page=2',
			'https://a.test/doc?X-Amz-Signature=',
			'<https://a.test/p?access_token=>; rel="next", <https://b.test/>; rel="alternate"',
		]);
	});

	it('an answer without such a header or URL is the one ky made', async () => {
		let answer: Response | undefined;
		const { fetch } = scripted(() => {
			answer = new Response('busy', { status: 503, headers: { 'Location': 'https://a.test/next?page=2', 'X-Kept': 'kept' } });
			return answer;
		}, () => Response.json({ ok: true }));
		const errors: unknown[] = [];
		const api = createCore({ fetch, prefix: 'https://a.test/', retry: { limit: 1, delay: () => 0 } });
		api.on('retry', (event) => errors.push(event.error));
		await api.get('item').json();
		expect((errors[0] as HTTPError).response).toBe(answer);
		api.close();
	});
});

describe('an event\'s error message', () => {
	it('never shows the password of a URL it names (a store\'s connection string), as a span\'s status and a dead letter\'s lastError do not', async () => {
		const failing = async () => {
			throw new Error('cannot reach redis://default:S-pass5@cache.internal:6379/0?password=S-pass6');
		};

		const store: KeyValueStore = { get: failing, set: failing, delete: failing, keys: failing, clear: failing };
		const { fetch } = scripted(() => Response.json({ ok: true }));
		const errors: unknown[] = [];
		const api = createClient({ fetch, prefix: 'https://a.test/', store: () => store, name: 'events-hunt22-store', retry: 0, breaker: false });
		api.on('storage:error', (event) => errors.push(event.error));
		await api.get('item').json();
		await until(() => errors.length > 0);
		// Before: 'cannot reach redis://default:S-pass5@cache.internal:6379/0?password='.
		expect((errors[0] as Error).message).toBe('cannot reach redis://default:@cache.internal:6379/0?password=');
		api.close();
	});
});

describe('the logger\'s request id of a call the trace layer never saw', () => {
	it('is the caller\'s only when it is one the trace layer would continue (1–255 printable ASCII)', async () => {
		const { fetch } = scripted(() => Response.json({ ok: true }));
		const { records, sink } = capture();
		const api = createCore({ fetch, prefix: 'https://a.test/', retry: 0, logger: logger(sink), trace: trace() });
		const given = ['given-id-1', 'x'.repeat(256), `id\twith a tab`, 'caf\u00e9'];
		for (const id of given) {
			await api.get('item', { trace: false, headers: { 'X-Request-ID': id } }).json();
		}

		// Before: each as the caller gave it (a 256-character one, a tab, a Latin-1 byte).
		expect(records.map((record) => record.requestId)).toEqual(['given-id-1', undefined, undefined, undefined]);
		api.close();
	});
});

describe('a continued trace\'s tracestate', () => {
	const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
	const sent = async (tracestate: string): Promise<string | null> => {
		const { seen, fetch } = scripted(() => Response.json({ ok: true }));
		const api = createCore({ fetch, trace: trace({ propagateTo: '*' }), retry: 0 });
		await api.get('https://a.test/a', { headers: { traceparent: parent, tracestate } }).json();
		api.close();
		return seen[0]!.headers.get('tracestate');
	};

	it('passes on one within W3C\'s bounds as it came', async () => {
		const members = Array.from({ length: 32 }, (_, index) => `v${index}=${index}`).join(' , ');
		expect(await sent(members)).toBe(members);
		expect(await sent('vendor=abc')).toBe('vendor=abc');
	});

	it('passes on at most 32 list members', async () => {
		const members = Array.from({ length: 40 }, (_, index) => `v${index}=${index}`);
		// Before: all 40.
		expect(await sent(members.join(','))).toBe(members.slice(0, 32).join(','));
	});

	it('passes on at most 512 characters: members over 128 characters go first, then members from the end', async () => {
		const long = `big=${'a'.repeat(200)}`;
		const small = Array.from({ length: 20 }, (_, index) => `vendor${index}=${'b'.repeat(12)}`);
		// Before: the whole 634 characters.
		expect(await sent([long, ...small].join(','))).toBe(small.join(','));
		const many = Array.from({ length: 30 }, (_, index) => `v${String(index).padStart(2, '0')}=${'c'.repeat(26)}`);
		const kept = await sent(many.join(','));
		// 30 members of 30 characters (929 in all): the first 16 fit in 512 (16 × 30 + 15 commas = 495; 17 take 526).
		expect(kept).toBe(many.slice(0, 16).join(','));
		expect(await sent(`a=${'x'.repeat(100_000)}`)).toBeNull();
	});
});

describe('deadlineHeader', () => {
	it('refuses a trace header, a credential or a key, and the names Fetch forbids, as trace\'s requestIdHeader does (a RangeError at creation)', () => {
		for (const name of ['traceparent', 'TraceState', 'Authorization', 'Idempotency-Key', 'Cookie', 'Host', 'Sec-Fetch-Mode', 'Proxy-Authorization', 'Content-Length']) {
			// Before: accepted; each attempt to the client's own origin had it overwritten with the time left ('Authorization: 300').
			expect(() => createClient({ deadlineHeader: name }), name).toThrow(RangeError);
			expect(() => createClient({ deadlineHeader: name }), name).toThrow(/`deadlineHeader` must be a header name of its own/);
		}

		expect(() => createClient({ deadlineHeader: 'request-timeout-ms' }).close()).not.toThrow();
	});
});
