/**
 * The twenty-second round on auth and trace (defect hunt): a refresh() that fails, and the later 401s of the wave it
 * served (one refresh per wave, its failure every call's); the wait after a refresh of this tab that left the token in
 * place; trace's requestIdHeader naming a header it may not carry the id in; a request id from outside that is too long.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { auth } from '../../src/entries/auth.js';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { dumpStore } from '../helpers/dump-store.js';
import { trace } from '../../src/entries/trace.js';
import { otel } from '../../src/entries/otel.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}
});

/** The call's answer (`200 ok`), else its error as `name code message`. */
const outcome = async (call: Promise<Response>): Promise<string> => call.then(
	async (response) => `${response.status} ${await response.text()}`,
	(error: { name?: string; code?: string; message?: string }) => `${error?.name} ${error?.code} ${error?.message}`,
);

/**
 * A client of an API that answers 401 to every request sent with a token other than 'fresh' (200 `ok` to 'fresh'), each
 * held until `answer(path)` lets it go; `refresh()` is the one given, counted.
 */
const held = (refresh: () => unknown, state = { token: 't', refreshes: 0 }, refreshTimeoutMs = 10_000) => {
	const sent: string[] = [];
	const waiting = new Map<string, () => void>();
	const name = `auth22-${crypto.randomUUID()}`;
	const api = createClient({
		baseUrl: 'https://api.test/', name, retry: 0, breaker: false, staleCache: false,
		fetch: async (request: Request) => {
			const { pathname } = new URL(request.url);
			const token = request.headers.get('authorization');
			sent.push(`${pathname} ${token}`);
			await new Promise<void>((resolve) => waiting.set(pathname, resolve));
			waiting.delete(pathname);
			return token === 'Bearer fresh' ? new Response('ok') : new Response('expired', { status: 401 });
		},
		auth: auth({ origins: ['https://api.test'], token: () => state.token, refreshTimeoutMs, refresh: () => {
			state.refreshes++;
			return refresh();
		} }),
	} as never);
	made.push(api);
	const answer = async (path: string): Promise<void> => {
		await expect.poll(() => waiting.has(path)).toBe(true);
		waiting.get(path)!();
	};
	return { api, state, sent, answer, name };
};

const failed = 'AuthError AUTH_FAILED https://api.test answered 401 and the token refresh failed';

describe('a refresh() that fails: one refresh per 401 wave, its failure every call of the wave\'s', () => {
	for (const [label, refresh, timeoutMs] of [
		['rejects', async () => Promise.reject(new Error('refresh endpoint down')), 10_000],
		['throws at once', () => {
			throw new Error('refresh endpoint down');
		}, 10_000],
		['runs past refreshTimeoutMs', async () => new Promise(() => undefined), 30],
	] as const) {
		it(`refresh() ${label}: a 401 that comes after it failed, to a token sent before, is an AuthError with no refresh of its own`, async () => {
			const { api, state, sent, answer } = held(refresh, undefined, timeoutMs);
			const calls = ['a', 'b', 'c'].map((path) => outcome(api.get(path)));
			await expect.poll(() => sent.length).toBe(3);
			await answer('/a');
			expect(await calls[0]).toBe(failed);
			await answer('/b');
			await answer('/c');
			expect(await calls[1]).toBe(failed);
			expect(await calls[2]).toBe(failed);
			// Before: 2 (the 401s of the wave that came after the failure ran refresh() again: b and c shared a second one).
			expect([state.refreshes, sent]).toEqual([1, ['/a Bearer t', '/b Bearer t', '/c Bearer t']]);
		});
	}

	it('the failure is the cause every call of the wave gets', async () => {
		const { api, answer, sent } = held(async () => Promise.reject(new Error('refresh endpoint down')));
		const first = api.get('a').catch((error: unknown) => error);
		const second = api.get('b').catch((error: unknown) => error);
		await expect.poll(() => sent.length).toBe(2);
		await answer('/a');
		await first;
		await answer('/b');
		const error = await second as { name?: string; cause?: { message?: string }; response?: Response };
		expect([error.name, error.cause?.message, error.response?.status]).toEqual(['AuthError', 'refresh endpoint down', 401]);
	});

	it('a 401 of the wave after the user signed in again (the token changed since the failure) is sent again with the new token', async () => {
		const state = { token: 't', refreshes: 0 };
		const { api, sent, answer } = held(async () => Promise.reject(new Error('down')), state);
		const first = outcome(api.get('a'));
		const second = outcome(api.get('b'));
		await expect.poll(() => sent.length).toBe(2);
		await answer('/a');
		expect(await first).toBe(failed);
		state.token = 'fresh';
		await answer('/b');
		await answer('/b');
		expect(await second).toBe('200 ok');
		expect([state.refreshes, sent]).toEqual([1, ['/a Bearer t', '/b Bearer t', '/b Bearer fresh']]);
	});

	it('a later failed refresh, then a successful one of a new wave: a 401 of the first wave sent before both is sent again', async () => {
		let fail = true;
		const state = { token: 't', refreshes: 0 };
		const { api, sent, answer } = held(async () => {
			if (fail) {
				throw new Error('down');
			}

			state.token = 'fresh';
		}, state);
		const first = outcome(api.get('a'));
		const late = outcome(api.get('b'));
		await expect.poll(() => sent.length).toBe(2);
		await answer('/a');
		expect(await first).toBe(failed);
		// A new wave (sent after the failure): its refresh succeeds.
		fail = false;
		const next = outcome(api.get('c'));
		await answer('/c');
		await answer('/c');
		expect(await next).toBe('200 ok');
		await answer('/b');
		await answer('/b');
		expect(await late).toBe('200 ok');
		expect(state.refreshes).toBe(2);
	});
});

describe('a refresh of this tab that leaves the token in place: the call is sent again at once', () => {
	it('no wait for the token to change (before: 5 + 10 + … + 320 = 635 ms)', async () => {
		const { api, state, sent, answer } = held(async () => undefined);
		const call = outcome(api.get('a'));
		await answer('/a');
		const started = performance.now();
		await expect.poll(() => sent.length, { interval: 5 }).toBe(2);
		const waited = performance.now() - started;
		await answer('/a');
		expect(await call).toBe('AuthError AUTH_FAILED https://api.test answered 401 again after the token refresh');
		expect(state.refreshes).toBe(1);
		expect(waited).toBeLessThan(400);
	});

	it('also for a call of the wave whose 401 came after that refresh ended', async () => {
		const { api, sent, answer } = held(async () => undefined);
		const first = outcome(api.get('a'));
		const second = outcome(api.get('b'));
		await expect.poll(() => sent.length).toBe(2);
		await answer('/a');
		await answer('/a');
		await first;
		await answer('/b');
		const started = performance.now();
		await expect.poll(() => sent.length, { interval: 5 }).toBe(4);
		const waited = performance.now() - started;
		await answer('/b');
		await second;
		expect(waited).toBeLessThan(400);
	});

	it('another tab\'s refresh, whose token reaches this tab\'s storage a moment after its word: still waited for, and sent', async () => {
		// The token this tab reads: the old one for two more reads once the other tab's word came (localStorage catching up).
		let token = 't';
		let late = 0;
		const state = {
			refreshes: 0,
			get token() {
				if (late > 0 && --late === 0) {
					token = 'fresh';
				}

				return token;
			},
		};
		const { api, sent, answer, name } = held(async () => undefined, state as never);
		const lock = `steadfetch:${name}/auth https://api.test/`;
		let release!: () => void;
		const gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		let granted!: () => void;
		const taken = new Promise<void>((resolve) => {
			granted = resolve;
		});
		// The other tab: holds the refresh's lock while its refresh runs.
		const other = navigator.locks.request(lock, async () => {
			granted();
			await gate;
		});
		await taken;
		const call = outcome(api.get('a'));
		await answer('/a');
		await expect.poll(async () => (await navigator.locks.query()).pending?.filter((each) => each.name === lock).length).toBe(1);
		release();
		await other;
		late = 3;
		const channel = new BroadcastChannel(lock);
		channel.postMessage({ current: true, ok: true, by: 0 });
		channel.close();
		await answer('/a');
		expect(await call).toBe('200 ok');
		expect([state.refreshes, sent]).toEqual([0, ['/a Bearer t', '/a Bearer fresh']]);
	});
});

describe('trace: requestIdHeader names a header the id may go in', () => {
	for (const name of ['traceparent', 'TraceState', 'Authorization', 'Cookie', 'Host', 'Content-Length', 'Sec-Request-Id', 'Proxy-Request-Id', 'Origin', 'Idempotency-Key']) {
		it(`'${name}' is a RangeError at creation, naming the option (trace and otel)`, () => {
			// Before: accepted; the id overwrote the traceparent trace() sets or the token auth sets, or a browser dropped it.
			expect(() => trace({ requestIdHeader: name })).toThrow(RangeError);
			expect(() => trace({ requestIdHeader: name })).toThrow(/trace\.requestIdHeader/);
			expect(() => otel({ tracer: {} as never, requestIdHeader: name })).toThrow(/otel\.requestIdHeader/);
		});
	}

	it('names that only look alike are accepted', () => {
		for (const name of ['X-Request-ID', 'traceparent-id', 'X-Traceparent', 'Request-Origin', 'X-Sec-Id', 'Authorization-Id']) {
			expect(() => trace({ requestIdHeader: name })).not.toThrow();
		}
	});
});

describe('trace: a request id from outside (the header the caller forwarded) is bounded', () => {
	const client = () => {
		const seen: Request[] = [];
		const api = createClient({
			baseUrl: 'https://api.test/', name: `trace22-${crypto.randomUUID()}`, retry: 0, breaker: false, staleCache: false,
			trace: trace(), fetch: (async (request: Request) => {
				seen.push(request);
				return new Response('ok');
			}) as typeof fetch,
		});
		made.push(api);
		return { api, seen };
	};

	it('an id of up to 255 printable ASCII characters is continued (as an idempotencyKey is taken)', async () => {
		for (const id of [`req ${'x'.repeat(251)}`, '7']) {
			const { api, seen } = client();
			await api.get('a', { headers: { 'x-request-id': id } });
			expect(seen[0]!.headers.get('x-request-id')).toBe(id);
		}
	});

	for (const [label, id] of [['8 KB long', 'a'.repeat(8192)], ['of 256 characters', 'b'.repeat(256)], ['with a non-ASCII byte', 'id-\u00e9'], ['of no characters', '']] as const) {
		it(`an id ${label} is replaced with a new one, in the header and in attempt:start`, async () => {
			const { api, seen } = client();
			const ids: string[] = [];
			api.on('attempt:start', (event) => ids.push(event.requestId));
			await api.get('a', { headers: { 'x-request-id': id } });
			// Before: the id as it came, on every attempt, event, log record and stored outbox entry.
			expect(seen[0]!.headers.get('x-request-id')).toMatch(/^[\da-f-]{36}$/);
			expect(ids).toEqual([seen[0]!.headers.get('x-request-id')]);
		});
	}

	it('a write queued with an 8 KB id stores the new one, not it', async () => {
		const store = memoryStore(`trace22-${crypto.randomUUID()}`);
		const api = createClient({
			baseUrl: 'https://api.test/', name: `trace22-${crypto.randomUUID()}`, store: () => store, retry: 0, breaker: false, staleCache: false,
			trace: trace(), outbox: outbox(), fetch: (async () => new Response('busy', { status: 503 })) as typeof fetch,
		});
		made.push(api);
		const error = await api.post('orders', { json: {}, headers: { 'x-request-id': 'a'.repeat(8192) } }).catch((caught: unknown) => caught);
		expect((error as { code?: string }).code).toBe('QUEUED');
		// Before: the 8 KB id in the stored entry.
		expect(await dumpStore(store)).not.toMatch(/a{256}/);
	});
});

describe('trace: the flags of an incoming traceparent', () => {
	for (const [given, sent] of [['ff', '01'], ['fe', '00'], ['03', '01'], ['01', '01'], ['00', '00']] as const) {
		it(`'${given}' is continued as '${sent}': only the sampled flag, the other bits zero (W3C: reserved, vendors set them to zero), as otel() sends`, async () => {
			const seen: Request[] = [];
			const api = createClient({
				baseUrl: 'https://api.test/', name: `trace22-${crypto.randomUUID()}`, retry: 0, breaker: false, staleCache: false,
				trace: trace(), fetch: (async (request: Request) => {
					seen.push(request);
					return new Response('ok');
				}) as typeof fetch,
			});
			made.push(api);
			const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
			await api.get('a', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-${given}` } });
			// Before: the flags as they came ('ff' sent as 'ff').
			expect(seen[0]!.headers.get('traceparent')).toMatch(new RegExp(`^00-${traceId}-[\\da-f]{16}-${sent}$`));
		});
	}
});

