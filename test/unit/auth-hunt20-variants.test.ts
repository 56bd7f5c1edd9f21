/**
 * The twentieth round on auth: what `token()` gives, and how long the attempt waits for it. `auth.token` TSDoc: "One that
 * throws, or gives what is no token (not a string, or one a header cannot carry), fails the call with AuthError before
 * any I/O"; an empty or blank string is no token (sent, it was `Authorization: Bearer` alone). And a `token()` that
 * hangs (an async read: IndexedDB held up by another tab) is part of the attempt: the caller's abort rejects with its
 * reason at once, as fetch does, and the client's close() refuses it (`CLIENT_CLOSED`); nothing is sent after. Its
 * neighbours hold as they were: two scopes' 401s share one refresh, a waiter's abort leaves the refresh to the others,
 * a 401 to a token already replaced is sent again without a refresh.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { auth } from '../../src/entries/auth.js';
import { createClient } from '../../src/entries/index.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}
});

/** `promise`'s outcome, or `'pending'` when it has not settled within `ms` (only a failing test waits that long). */
const within = async (promise: Promise<unknown>, ms: number): Promise<unknown> => {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const late = new Promise((resolve) => {
		timer = setTimeout(() => resolve('pending'), ms);
	});
	try {
		return await Promise.race([promise.then((value) => ({ value }), (error: unknown) => ({ error })), late]);
	} finally {
		clearTimeout(timer);
	}
};

/**
 * A client of an API that answers 200 to `Bearer new` and 401 to anything else; `sent` is what it got (host, path,
 * Authorization). `refresh()` counts itself, waits for `release()`, then makes `state.token` 'new'.
 */
const app = (token?: () => unknown, options: Record<string, unknown> = {}) => {
	const state = { token: 'old', refreshes: 0 };
	const sent: string[] = [];
	let release!: () => void;
	const gate = new Promise<void>((resolve) => {
		release = resolve;
	});
	const api = createClient({
		baseUrl: 'https://api.test/', name: `auth20-${crypto.randomUUID()}`, retry: 0, breaker: false, staleCache: false,
		fetch: async (request: Request) => {
			const { host, pathname } = new URL(request.url);
			sent.push(`${host}${pathname} ${request.headers.get('authorization')}`);
			return request.headers.get('authorization') === 'Bearer new' ? new Response('ok') : new Response('expired', { status: 401 });
		},
		auth: auth({ origins: ['https://api.test', 'https://files.test'], token: (token ?? (() => state.token)) as () => string, refresh: async () => {
			state.refreshes++;
			await gate;
			state.token = 'new';
		} }),
		...options,
	} as never);
	made.push(api);
	return { api, state, sent, release };
};

/** The call's answer (`200 ok`), else its error as `name code message`, and its cause's message. */
const outcome = async (call: Promise<Response>): Promise<string> => call.then(
	async (response) => `${response.status} ${await response.text()}`,
	(error: { name?: string; code?: string; message?: string; cause?: { message?: string } }) => `${error?.name} ${error?.code} ${error?.message}${error?.cause ? ` (${error.cause.message})` : ''}`,
);

describe('token() gives an empty or blank string: no token, an AuthError before any I/O', () => {
	for (const [label, token] of [['\'\'', () => ''], ['\'  \'', () => '  '], ['a Promise of \'\'', async () => ''], ['\'\\t\'', () => '\t']] as const) {
		it(`${label}: never sent as \`Authorization: Bearer\`, and no refresh`, async () => {
			const { api, state, sent, release } = app(token);
			release();
			expect(await outcome(api.get('a'))).toBe('AuthError AUTH_FAILED auth.token() failed (auth.token() gave an empty string, not a token)');
			// Before: sent ['api.test/a Bearer', 'api.test/a Bearer'] (a refresh, then '401 again'); refreshes 1.
			expect([sent, state.refreshes]).toEqual([[], 0]);
			expect(api.stats()['https://api.test']?.failures).toEqual({ AUTH_FAILED: 1 });
		});
	}

	it('its neighbours: a token (sync, a Promise) is sent; none (undefined, null) sends no header; what is no string fails before I/O', async () => {
		for (const token of [() => 'new', async () => 'new']) {
			const { api, sent } = app(token);
			expect(await outcome(api.get('a'))).toBe('200 ok');
			expect(sent).toEqual(['api.test/a Bearer new']);
		}

		for (const token of [() => undefined, async () => null]) {
			const { api, sent, release } = app(token);
			release();
			// Its 401 is refreshed as ever (no token: nothing to compare), then '401 again'.
			await api.get('a').catch(() => undefined);
			expect(sent[0]).toBe('api.test/a null');
		}

		for (const [token, kind] of [[() => 42, 'number'], [async () => ({}), 'object'], [() => Symbol('t'), 'symbol']] as const) {
			const { api, sent, state } = app(token);
			expect(await outcome(api.get('a'))).toMatch(`AuthError AUTH_FAILED auth.token() failed (auth.token() gave ${kind}, not a `);
			expect([sent, state.refreshes]).toEqual([[], 0]);
		}

		// One a header cannot carry: the platform's message (which names the value) is not shown.
		const { api, sent } = app(() => 'secret\nvalue');
		expect(await outcome(api.get('a'))).toBe('AuthError AUTH_FAILED auth.token() failed (auth.token() gave a header value fetch refuses)');
		expect(sent).toEqual([]);
	});
});

describe('a token() that hangs is part of the attempt', () => {
	/** A `token()` whose answers wait for `answer(value)`; `asked` counts its calls. */
	const held = () => {
		const answers: Array<(value: string) => void> = [];
		const token = async (): Promise<string> => new Promise((resolve) => {
			answers.push(resolve);
		});
		const answer = (value: string): void => {
			for (const resolve of answers.splice(0)) {
				resolve(value);
			}
		};

		return { token, answers, answer };
	};

	for (const [label, extended] of [['the client', false], ['an extend()ed client', true]] as const) {
		it(`${label}: the caller's abort rejects with its reason at once (timeout: false), and nothing is sent when token() answers later`, async () => {
			const { token, answers, answer } = held();
			const { api, sent } = app(token, { timeout: false, totalTimeout: false });
			const client = extended ? api.extend({ headers: { 'x-tab': '1' } }) : api;
			const controller = new AbortController();
			const call = client.get('a', { signal: controller.signal });
			await vi.waitFor(() => expect(answers).toHaveLength(1));
			const reason = new Error('the user left the page');
			controller.abort(reason);
			// Before: 'pending' (the attempt waited for token() whatever the caller did).
			expect(await within(call, 2000)).toEqual({ error: reason });
			answer('new');
			// Another call goes on: the wait was that attempt's alone.
			const other = client.get('b').text();
			await vi.waitFor(() => expect(answers).toHaveLength(1));
			answer('new');
			expect(await other).toBe('ok');
			expect(sent).toEqual(['api.test/b Bearer new']);
			expect(client.stats()['https://api.test']?.failures).toEqual({ ABORTED: 1 });
		});
	}

	it('close(): an attempt waiting for token() is refused (CLIENT_CLOSED), never sent', async () => {
		const { token, answers, answer } = held();
		const { api, sent } = app(token, { timeout: false, totalTimeout: false });
		const call = outcome(api.get('a'));
		await vi.waitFor(() => expect(answers).toHaveLength(1));
		api.close();
		// Before: 'pending'.
		expect(await within(call, 2000)).toEqual({ value: expect.stringMatching(/^SteadfetchError CLIENT_CLOSED The client is closed: /) });
		answer('new');
		await Promise.resolve();
		expect(sent).toEqual([]);
	});

	it('ky\'s timeout ends it as any attempt: TimeoutError, nothing sent', async () => {
		const { token } = held();
		const { api, sent } = app(token, { timeout: 200 });
		expect(await within(outcome(api.get('a')), 4000)).toEqual({ value: expect.stringMatching(/^TimeoutError /) });
		expect(sent).toEqual([]);
	});
});

describe('its neighbours: one refresh, shared, bound to the calls that wait for it', () => {
	it('two 401s from two scopes at once (two origins of one auth): one refresh, both sent again with the new token', async () => {
		const { api, state, sent, release } = app();
		const a = outcome(api.get('a'));
		const b = outcome(api.get('https://files.test/b'));
		await vi.waitFor(() => expect([sent.length, state.refreshes]).toEqual([2, 1]));
		release();
		expect([await a, await b, state.refreshes]).toEqual(['200 ok', '200 ok', 1]);
		expect(sent.slice(2).sort()).toEqual(['api.test/a Bearer new', 'files.test/b Bearer new']);
	});

	it('a waiter\'s abort (an extend()ed client\'s call) rejects it at once; the refresh goes on for the other call', async () => {
		const { api, state, sent, release } = app();
		const child = api.extend({ headers: { 'x-tab': '1' } });
		const first = outcome(api.get('a'));
		await vi.waitFor(() => expect(state.refreshes).toBe(1));
		const controller = new AbortController();
		const waiter = child.get('b', { signal: controller.signal });
		await vi.waitFor(() => expect(sent).toHaveLength(2));
		const reason = new Error('gone');
		controller.abort(reason);
		expect(await within(waiter, 2000)).toEqual({ error: reason });
		release();
		expect([await first, state.refreshes]).toEqual(['200 ok', 1]);
		expect(sent).toEqual(['api.test/a Bearer old', 'api.test/b Bearer old', 'api.test/a Bearer new']);
	});

	it('a 401 to a token already replaced (refreshed meanwhile) is sent again with the current one, without a refresh', async () => {
		const { api, state, sent, release } = app();
		release();
		state.token = 'new';
		let first = true;
		const stale = app(() => {
			const value = first ? 'old' : state.token;
			first = false;
			return value;
		});
		stale.release();
		expect(await outcome(stale.api.get('a'))).toBe('200 ok');
		expect([stale.sent, stale.state.refreshes]).toEqual([['api.test/a Bearer old', 'api.test/a Bearer new'], 0]);
		expect([await outcome(api.get('a')), sent]).toEqual(['200 ok', ['api.test/a Bearer new']]);
	});
});
