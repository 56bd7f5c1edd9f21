/**
 * The thirty-fourth round on auth and identity (defect hunt): a refresh, a 401 wave, junk tokens, and an outbox replay
 * across an identity change.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { auth, AuthError } from '../../src/entries/auth.js';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { outbox } from '../../src/entries/outbox.js';
import { waitFor } from '../helpers/wait-for.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}
});

type Options = Parameters<typeof createClient>[0];

/** A client on `https://api.test/` whose origin answers 401 to any token but `valid()`; `sent` lists each request's token. */
const setup = (authOptions: Record<string, unknown>, valid: () => string, options: Options = {}) => {
	const sent: Array<string | null> = [];
	const client = createClient({
		name: `h34-auth-${crypto.randomUUID()}`, prefix: 'https://api.test/', store: memoryStore, retry: 0, staleCache: false,
		auth: auth({ origins: ['https://api.test'], ...authOptions } as never),
		fetch: (async (input: Request) => {
			const token = input.headers.get('authorization');
			sent.push(token);
			return token === `Bearer ${valid()}` ? Response.json({ ok: true }) : new Response('no', { status: 401 });
		}) as typeof fetch,
		...options,
	} as never);
	made.push(client);
	return { client, sent };
};

const failure = async (promise: Promise<unknown>): Promise<Error & { code?: string }> => promise.then(() => {
	throw new Error('resolved');
}, (error: unknown) => error as Error & { code?: string });

describe('a 401 wave, a failed refresh, junk tokens', () => {
	it('two 401s at once: one refresh, both sent again with the new token', async () => {
		let token = 'old';
		let refreshes = 0;
		const { client, sent } = setup({ token: () => token, refresh: async () => {
			refreshes++;
			await new Promise((resolve) => setTimeout(resolve, 20));
			token = 'new';
		} }, () => 'new');
		const answers = await Promise.all([client.get('a').json(), client.get('b').json()]);
		expect([answers, refreshes, sent]).toEqual([[{ ok: true }, { ok: true }], 1, ['Bearer old', 'Bearer old', 'Bearer new', 'Bearer new']]);
	});

	it('a refresh that rejects: both waiting calls get AuthError, one refresh', async () => {
		let refreshes = 0;
		const { client, sent } = setup({ token: () => 'old', refresh: async () => {
			refreshes++;
			await new Promise((resolve) => setTimeout(resolve, 20));
			throw new Error('down');
		} }, () => 'new');
		const errors = await Promise.all([failure(client.get('a')), failure(client.get('b'))]);
		expect([errors.map((error) => error instanceof AuthError), refreshes, sent.length]).toEqual([[true, true], 1, 2]);
	});

	it('a 401 on the retry after a refresh: AuthError, no loop', async () => {
		let refreshes = 0;
		let token = 'old';
		const { client, sent } = setup({ token: () => token, refresh: () => {
			refreshes++;
			token = `t${refreshes}`;
		} }, () => 'never');
		const error = await failure(client.get('a'));
		expect([error instanceof AuthError, refreshes, sent]).toEqual([true, 1, ['Bearer old', 'Bearer t1']]);
	});

	it.each([
		['throws', () => {
			throw new Error('no');
		}],
		['rejects', () => Promise.reject(new Error('no'))],
		['a number', () => 42],
		['an object', () => ({ token: 'x' })],
		['a blank', () => '  '],
		['a line break inside', () => 'a\nb'],
		['a trailing line break', () => 'abc\r\n'],
		['a non-Latin-1 character', () => 'tok€n'],
		['a NUL', () => 'a\0b'],
	])('a token() that %s: AuthError before any I/O', async (_, token) => {
		const { client, sent } = setup({ token, refresh: () => undefined }, () => 'x');
		const error = await failure(client.get('a'));
		expect([error instanceof AuthError, error.code, sent.length]).toEqual([true, 'AUTH_FAILED', 0]);
	});
});

describe('a refresh and an identity change', () => {
	it('a refresh that resolves after the identity changed: the next identity\'s call never carries its token', async () => {
		let who = 'alice';
		let token = 'alice-old';
		let finish!: () => void;
		const refreshed = new Promise<void>((resolve) => {
			finish = resolve;
		});
		let refreshes = 0;
		const { client, sent } = setup({ token: () => token, refresh: async () => {
			refreshes++;
			const me = who;
			await refreshed;
			token = `${me}-new`;
		} }, () => `${who}-new`, { identity: () => who } as never);
		const alice = failure(client.get('a'));
		await waitFor(() => sent.length === 1, 'alice\'s first attempt');
		who = 'bob';
		finish();
		const error = await alice;
		const answer = await client.get('b').json();
		expect([sent, error instanceof AuthError, answer, refreshes]).toEqual([['Bearer alice-old', 'Bearer bob-new'], true, { ok: true }, 2]);
	});

	it('a refresh of the next session that fails, the token the ended one left in place: its error says the refresh failed, not token()', async () => {
		let who = 'alice';
		let token = 'alice-old';
		let finish!: () => void;
		const refreshed = new Promise<void>((resolve) => {
			finish = resolve;
		});
		let refreshes = 0;
		const { client, sent } = setup({ token: () => token, refresh: async () => {
			refreshes++;
			if (refreshes === 1) {
				await refreshed; // Alice's: it ends after bob signed in and stored his token, storing nothing.
			}

			throw new Error('refresh endpoint down');
		} }, () => `${who}-ok`, { identity: () => who } as never);
		const alice = failure(client.get('a'));
		await waitFor(() => sent.length === 1, 'alice\'s first attempt');
		who = 'bob';
		token = 'bob-token';
		finish();
		await alice;
		const error = await failure(client.get('b'));
		// Before: 'auth.token() failed' — but token() answered; the refresh of bob's session (taken for the token alice's left) failed.
		expect([error instanceof AuthError, error.message, (error.cause as Error | undefined)?.message, refreshes, sent]).toEqual([true, 'The token refresh failed (the token found is the one a refresh of an ended session left)', 'refresh endpoint down', 2, ['Bearer alice-old']]);
	});

	it('an outbox replay of alice\'s write while bob is signed in is not sent', async () => {
		let who = 'alice';
		let up = false;
		const sent: Array<string | null> = [];
		const client = createClient({
			name: `h34-ob-${crypto.randomUUID()}`, prefix: 'https://api.test/', store: memoryStore, retry: 0, staleCache: false,
			identity: () => who, outbox: outbox(),
			auth: auth({ origins: ['https://api.test'], token: () => `${who}-token`, refresh: () => undefined }),
			fetch: (async (input: Request) => {
				sent.push(input.headers.get('authorization'));
				if (!up) {
					throw new TypeError('Failed to fetch');
				}

				return Response.json({ ok: true });
			}) as typeof fetch,
		} as never) as ReturnType<typeof createClient> & { outbox: { size(): Promise<number>; flush(): Promise<unknown>; list(): Promise<unknown[]> } };
		made.push(client);
		await client.post('todos', { json: { a: 1 } }).catch(() => undefined);
		await waitFor(async () => (await client.outbox.list()).length === 1, 'the write queued');
		who = 'bob';
		up = true;
		const before = sent.length;
		await client.outbox.flush();
		expect(sent.slice(before)).not.toContain('Bearer bob-token');
		expect((await client.outbox.list()).length).toBe(1);
		who = 'alice';
		await client.outbox.flush();
		expect(sent.slice(before)).toEqual(['Bearer alice-token']);
	});
});

describe('neighbours: waves, timeouts, aborts', () => {
	it('a call sent after a refresh failed is a new wave: it refreshes again', async () => {
		let refreshes = 0;
		let token = 'old';
		const { client, sent } = setup({ token: () => token, refresh: () => {
			refreshes++;
			if (refreshes === 1) {
				throw new Error('down');
			}

			token = 'new';
		} }, () => 'new');
		const first = await failure(client.get('a'));
		const answer = await client.get('b').json();
		expect([first instanceof AuthError, answer, refreshes, sent]).toEqual([true, { ok: true }, 2, ['Bearer old', 'Bearer old', 'Bearer new']]);
	});

	it('a refresh past refreshTimeoutMs: AuthError; the next 401 starts a refresh of its own', async () => {
		let refreshes = 0;
		let token = 'old';
		const { client } = setup({ refreshTimeoutMs: 50, token: () => token, refresh: async () => {
			refreshes++;
			if (refreshes === 1) {
				await new Promise(() => undefined);
			}

			token = 'new';
		} }, () => 'new');
		const first = await failure(client.get('a'));
		const answer = await client.get('b').json();
		expect([first instanceof AuthError, answer, refreshes]).toEqual([true, { ok: true }, 2]);
	});

	it('a caller that aborts while waiting for a refresh: rejects with its reason at once', async () => {
		let finish!: () => void;
		let token = 'old';
		const { client, sent } = setup({ token: () => token, refresh: () => new Promise<void>((resolve) => {
			finish = () => {
				token = 'new';
				resolve();
			};
		}) }, () => 'new');
		const controller = new AbortController();
		const waiting = failure(client.get('a', { signal: controller.signal }));
		const other = client.get('b').json();
		await waitFor(() => sent.length === 2 && finish !== undefined, 'both 401s and the refresh');
		const reason = new Error('gone');
		controller.abort(reason);
		expect(await waiting).toBe(reason);
		finish();
		expect([await other, sent.filter((value) => value === 'Bearer new').length]).toEqual([{ ok: true }, 1]);
	});

	it('origins: [] with a prefix: a 401 is the origin\'s own (no AuthError about a missing origin)', async () => {
		const { client, sent } = setup({ origins: [], token: () => 'x', refresh: () => undefined }, () => 'x');
		const error = await failure(client.get('a'));
		// Before: AUTH_FAILED, "auth() sent no token: it has no origin to send it to (no `prefix` or `baseUrl`, …)" with a prefix set.
		expect([sent, error instanceof AuthError, error.name, (error as { response?: Response }).response?.status]).toEqual([[null], false, 'HTTPError', 401]);
	});
});
