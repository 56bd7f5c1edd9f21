/**
 * The twenty-first round on auth and its neighbours (defect hunt): a `refresh()` that resolves leaving the token that
 * got the 401 in place, and the calls of that 401 wave; `token()` that throws or gives what is no token; a scheme with
 * bad characters. And a sensitive query parameter
 * nested in another's name (`user[token]=`, `access.token=`: a nested object as `qs`, Rails and PHP send and read it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { auth } from '../../src/entries/auth.js';
import { classify } from '../../src/entries/core.js';
import { type Client, createClient, memoryStore, outbox, type OutboxPolicy } from '../../src/entries/index.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';
import { redact, sensitiveParamSet } from '../../src/utils/sensitive.js';
import { dumpStore } from '../helpers/dump-store.js';

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
 * A client of an API that answers 401 to every request, each held until `answer(path)` lets it go (`held` names those
 * waiting); `refresh()` resolves at once and leaves the token as it was ('same').
 */
const stuck = () => {
	const state = { refreshes: 0 };
	const sent: string[] = [];
	const held = new Map<string, () => void>();
	const api = createClient({
		baseUrl: 'https://api.test/', name: `auth21-${crypto.randomUUID()}`, retry: 0, breaker: false, staleCache: false,
		fetch: async (request: Request) => {
			const { pathname } = new URL(request.url);
			sent.push(`${pathname} ${request.headers.get('authorization')}`);
			await new Promise<void>((resolve) => held.set(pathname, resolve));
			held.delete(pathname);
			return new Response('expired', { status: 401 });
		},
		auth: auth({ token: () => 'same', refresh: async () => {
			state.refreshes++;
		} }),
	} as never);
	made.push(api);
	const answer = async (path: string): Promise<void> => {
		await expect.poll(() => held.has(path)).toBe(true);
		held.get(path)!();
	};
	return { api, state, sent, answer };
};

describe('a refresh() that leaves the token that got the 401 in place: one refresh per 401 wave', () => {
	it('two calls sent with the token: the second\'s 401, after the first\'s refresh ended, starts no refresh of its own', async () => {
		const { api, state, sent, answer } = stuck();
		const first = outcome(api.get('a'));
		const second = outcome(api.get('b'));
		await expect.poll(() => sent.length).toBe(2);
		await answer('/a');
		// The first call's refresh ran (the token stayed 'same'), and it was sent once more.
		await expect.poll(() => sent.length).toBe(3);
		await answer('/a');
		expect(await first).toBe('AuthError AUTH_FAILED https://api.test answered 401 again after the token refresh');
		// The second call's 401 comes now: it was sent before that refresh ended, with the token it left.
		await answer('/b');
		await expect.poll(() => sent.length).toBe(4);
		await answer('/b');
		expect(await second).toBe('AuthError AUTH_FAILED https://api.test answered 401 again after the token refresh');
		// Before: 2 (a refresh per call of the wave, each leaving the same token).
		expect(state.refreshes).toBe(1);
		expect(sent).toEqual(['/a Bearer same', '/b Bearer same', '/a Bearer same', '/b Bearer same']);
	});

	it('a call sent after that refresh ended is a new wave: its 401 gets one refresh, then its second 401 is final', async () => {
		const { api, state, sent, answer } = stuck();
		const first = outcome(api.get('a'));
		await answer('/a');
		await answer('/a');
		expect(await first).toBe('AuthError AUTH_FAILED https://api.test answered 401 again after the token refresh');
		const later = outcome(api.get('c'));
		await answer('/c');
		await expect.poll(() => sent.length).toBe(4);
		await answer('/c');
		expect(await later).toBe('AuthError AUTH_FAILED https://api.test answered 401 again after the token refresh');
		expect([state.refreshes, sent]).toEqual([2, ['/a Bearer same', '/a Bearer same', '/c Bearer same', '/c Bearer same']]);
	});
});

describe('token() and scheme: bad input is a typed error before any I/O', () => {
	const client = (token: () => unknown) => {
		const sent: string[] = [];
		const api = createClient({
			baseUrl: 'https://api.test/', name: `auth21-${crypto.randomUUID()}`, retry: 0, breaker: false, staleCache: false,
			fetch: async (request: Request) => {
				sent.push(request.url);
				return new Response('ok');
			},
			auth: auth({ token: token as () => string, refresh: () => undefined }),
		} as never);
		made.push(api);
		return { api, sent };
	};

	for (const [label, token, cause] of [
		['throws at once', () => {
			throw new Error('no storage');
		}, 'no storage'],
		['throws a string', () => {
			throw 'no storage';
		}, undefined],
		['gives a number', () => 42, 'auth.token() gave number, not a token'],
		['gives an object', () => ({ token: 'x' }), 'auth.token() gave object, not a token'],
		['gives a symbol', () => Symbol('x'), 'auth.token() gave symbol, not a token'],
		['gives a Promise that rejects', async () => Promise.reject(new Error('locked')), 'locked'],
		// biome-ignore lint/suspicious/noThenProperty: a thenable of the app's own is the case under test
		['gives a thenable of a number', () => ({ then: (resolve: (value: unknown) => void) => resolve(7) }), 'auth.token() gave number, not a token'],
		['gives a value fetch refuses in a header', () => 'токен', 'auth.token() gave a header value fetch refuses'],
	] as const) {
		it(`a token() that ${label}: AuthError, nothing sent, the call a rejected promise`, async () => {
			const { api, sent } = client(token);
			let call: Promise<Response> | undefined;
			expect(() => {
				call = api.get('a');
			}).not.toThrow();
			const error = await call!.then(() => undefined, (caught: unknown) => caught) as { name?: string; code?: string; cause?: { message?: string } };
			expect([error?.name, error?.code, sent]).toEqual(['AuthError', 'AUTH_FAILED', []]);
			if (cause !== undefined) {
				expect(error.cause?.message).toBe(cause);
			}
		});
	}

	for (const [label, refresh] of [
		['throws at once', () => {
			throw new Error('no refresh token');
		}],
		['never settles (past refreshTimeoutMs)', async () => new Promise(() => undefined)],
	] as const) {
		it(`a refresh() that ${label}: the 401's call rejects with AuthError, sent once; the next call is sent and refreshes again`, async () => {
			const sent: string[] = [];
			let refreshes = 0;
			const api = createClient({
				baseUrl: 'https://api.test/', name: `auth21-${crypto.randomUUID()}`, retry: 0, breaker: false, staleCache: false,
				fetch: (async (request: Request) => {
					sent.push(new URL(request.url).pathname);
					return new Response('expired', { status: 401 });
				}) as typeof fetch,
				auth: auth({ token: () => 't', refreshTimeoutMs: 50, refresh: () => {
					refreshes++;
					return refresh();
				} }),
			} as never);
			made.push(api);
			expect(await outcome(api.get('a'))).toBe('AuthError AUTH_FAILED https://api.test answered 401 and the token refresh failed');
			expect(await outcome(api.get('b'))).toBe('AuthError AUTH_FAILED https://api.test answered 401 and the token refresh failed');
			expect([sent, refreshes]).toEqual([['/a', '/b'], 2]);
		});
	}

	it('a scheme with characters no auth scheme holds is a RangeError at auth(), naming the option', () => {
		for (const scheme of ['Bearer x', 'Bear\ner', '', 'Bearer:', 7, 'Bäarer']) {
			expect(() => auth({ token: () => 't', refresh: () => undefined, scheme: scheme as string })).toThrow(/auth\.scheme/);
		}
	});
});

describe('a sensitive parameter nested in another\'s name (user[token]=, access.token=) is that parameter', () => {
	it('redact() removes its values, wherever it nests; longer names and an unclosed bracket are other parameters', () => {
		const params = sensitiveParamSet({});
		// Before: each URL as it was, its secrets in it.
		expect(redact('https://a.test/p?user[token]=S-1&q=1', params)).toBe('https://a.test/p?user[token]=&q=1');
		expect(redact('https://a.test/p?access.token=S-2&user%5Bpassword%5D=S-3', params)).toBe('https://a.test/p?access.token=&user%5Bpassword%5D=');
		expect(redact('https://a.test/p?a[b][api_key]=S-4&user[token][]=S-5&Auth.Secret=S-6', params)).toBe('https://a.test/p?a[b][api_key]=&user[token][]=&Auth.Secret=');
		// As before: a list's member, and names that only hold a sensitive one's letters.
		expect(redact('https://a.test/p?token[]=S-7', params)).toBe('https://a.test/p?token[]=');
		const kept = 'https://a.test/p?user[tokens]=1&tokens[]=2&token[=4&xtoken[]=5&access.tokens=6&token_type=7';
		expect(redact(kept, params)).toBe(kept);
	});

	it('a read: no stored copy, key, cache.list() entry, event or log record holds its value; a write carrying one is never queued', async () => {
		const store = memoryStore(`auth21-${crypto.randomUUID()}`);
		const events: unknown[] = [];
		const records: LogRecord[] = [];
		const sink = { info: (record: LogRecord) => records.push(record), warn: (record: LogRecord) => records.push(record), error: (record: LogRecord) => records.push(record) };
		const api = createClient({
			baseUrl: 'https://api.test/', name: `auth21-${crypto.randomUUID()}`, store: () => store, retry: 0, breaker: false,
			staleCache: { shared: false }, outbox: outbox(), logger: logger(sink),
			fetch: (async (request: Request) => request.method === 'GET' ? Response.json({ ok: true }) : new Response('busy', { status: 503 })) as typeof fetch,
		}) as Client<{ outbox: OutboxPolicy }>;
		made.push(api);
		api.on('*', (event) => events.push(event));
		await api.get('me?user[token]=S-a1&page=2').json();
		await api.get('me', { searchParams: { 'access.token': 'S-a2' } }).json();
		await expect.poll(async () => (await api.cache.list()).length).toBe(2);
		// Before: cache.list() named 'me?user[token]=S-a1&page=2' and 'me?access.token=S-a2', so did the store, events and records.
		expect((await api.cache.list()).map(({ url }) => url).sort()).toEqual(['https://api.test/me?access.token=', 'https://api.test/me?user[token]=&page=2']);
		const error = await api.post('me?user[token]=S-b1', { json: {} }).catch((caught: unknown) => caught);
		// Before: 'QUEUED', the token in the stored entry's URL.
		expect([classify(error).code, await api.outbox.size()]).toEqual(['HTTP_5XX', 0]);
		expect(await dumpStore(store)).not.toMatch(/S-\w+/);
		expect(JSON.stringify(events)).not.toMatch(/S-\w+/);
		expect(JSON.stringify(records)).not.toMatch(/S-\w+/);
		// Keyed by a digest of the value: another token's read is another copy.
		await api.get('me?user[token]=S-a3&page=2').json();
		await expect.poll(async () => (await api.cache.list()).length).toBe(3);
	});
});
