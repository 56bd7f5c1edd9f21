/**
 * The twenty-sixth round on auth and the TanStack Query helpers (defect hunt): a token() whose value fetch would send
 * altered (a line break or blanks at its ends); a call made before a clear() (no identity) whose token() answers after it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { auth } from '../../src/entries/auth.js';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { mutationOptionsFor } from '../../src/entries/tanstack-query.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}
});

/** The call's answer (`200 ok`), else its error as `name code message`, and its cause's message. */
const outcome = async (call: Promise<Response>): Promise<string> => call.then(
	async (response) => `${response.status} ${await response.text()}`,
	(error: { name?: string; code?: string; message?: string; cause?: { message?: string } }) => `${error?.name} ${error?.code} ${error?.message}${error?.cause ? ` (${error.cause.message})` : ''}`,
);

/** A client of `https://api.test/` whose origin answers 200 `ok` and notes `<path> <Authorization>`; `refresh()` counted. */
const app = (token: () => unknown, options: Record<string, unknown> = {}) => {
	const sent: string[] = [];
	const state = { refreshes: 0 };
	const api = createClient({
		baseUrl: 'https://api.test/', name: `auth26-${crypto.randomUUID()}`, retry: 0, breaker: false, staleCache: false, store: memoryStore,
		fetch: async (request: Request) => {
			sent.push(`${new URL(request.url).pathname} ${request.headers.get('authorization')}`);
			return new Response('ok');
		},
		auth: auth({ token: token as never, refresh: () => {
			state.refreshes++;
		} }),
		...options,
	} as never);
	made.push(api);
	return { api, sent, state };
};

describe('token() gives a value fetch would send altered: an AuthError before any I/O, never another token sent', () => {
	for (const [label, token] of [
		['a token with a line break at its end (read from a file)', () => 'secret\n'],
		['CR LF at its end', async () => 'secret\r\n'],
		['a blank at its start', () => ' secret'],
		['a tab at its end', () => 'secret\t'],
	] as const) {
		it(`${label}: AuthError, nothing sent`, async () => {
			const { api, sent, state } = app(token);
			expect(await outcome(api.get('a'))).toBe('AuthError AUTH_FAILED auth.token() failed (auth.token() gave a token with blanks at its ends, not a token)');
			// Before: 200 ok, sent ['/a Bearer secret'] (the line break trimmed by fetch), or ['/a Bearer  secret'] (two blanks).
			expect([sent, state.refreshes]).toEqual([[], 0]);
		});
	}

	it('its neighbours: blanks inside a token (an auth-param list) are sent as they are; a blank one is still an empty string', async () => {
		const { api, sent } = app(() => 'a="1", b="2"');
		expect(await outcome(api.get('a'))).toBe('200 ok');
		expect(sent).toEqual(['/a Bearer a="1", b="2"']);
		const blank = app(() => ' \n ');
		expect(await outcome(blank.api.get('a'))).toBe('AuthError AUTH_FAILED auth.token() failed (auth.token() gave an empty string, not a token)');
		expect(blank.sent).toEqual([]);
	});
});

describe('a call made before a clear() (a logout without identity) whose async token() answers after it', () => {
	/** A `token()` that gives `state.token`, each read held until `answer()` lets the oldest go. */
	const gated = (state: { token: string }) => {
		const waiting: Array<() => void> = [];
		const token = async (): Promise<string> => {
			await new Promise<void>((resolve) => waiting.push(resolve));
			return state.token;
		};

		const answer = async (): Promise<void> => {
			await expect.poll(() => waiting.length).toBeGreaterThan(0);
			waiting.shift()!();
		};

		return { token, answer, asked: () => waiting.length };
	};

	it('is not sent with the next session\'s token: it rejects ABORTED with no I/O', async () => {
		const state = { token: 'alice' };
		const { token, answer, asked } = gated(state);
		const { api, sent } = app(token);
		const call = outcome(api.get('a'));
		await expect.poll(asked).toBe(1);
		await api.clear();
		state.token = 'bob';
		await answer();
		// Before: '200 ok', sent ['/a Bearer bob'] (a call made in alice's session carried bob's token).
		expect(await call).toBe('SteadfetchError ABORTED Not sent: the identity changed, or the client was cleared, before its token was read');
		expect(sent).toEqual([]);
		// The next session's own call goes with its token.
		const next = outcome(api.get('b'));
		await answer();
		expect([await next, sent]).toEqual(['200 ok', ['/b Bearer bob']]);
	});

	it('its neighbours: with identity, a call made while nobody was signed in takes the token of who signed in meanwhile (as documented); one made before the clear and answered before it goes', async () => {
		const state = { token: 'alice', who: undefined as string | undefined };
		const { token, answer, asked } = gated(state);
		const { api, sent } = app(token, { identity: () => state.who });
		const call = outcome(api.get('a'));
		await expect.poll(asked).toBe(1);
		state.who = 'alice';
		await answer();
		expect([await call, sent]).toEqual(['200 ok', ['/a Bearer alice']]);

		const plain = app(() => 'alice');
		expect(await outcome(plain.api.get('a'))).toBe('200 ok');
		await plain.api.clear();
		expect(await outcome(plain.api.get('b'))).toBe('200 ok');
		expect(plain.sent).toEqual(['/a Bearer alice', '/b Bearer alice']);
	});
});

describe('mutationOptionsFor: a send that returns no call (a forgotten `return`)', () => {
	it('rejects with a TypeError naming the helper, never { queued: false } for a write nobody awaited', async () => {
		const { api, sent } = app(() => 'alice');
		let write: Promise<Response> | undefined;
		const { mutationFn } = mutationOptionsFor(((order: { id: number }) => {
			write = api.post('orders', { json: order });
		}) as unknown as (order: { id: number }) => Promise<Response>);
		const error = await mutationFn({ id: 1 }).then((value) => value, (caught: unknown) => caught) as { name?: string; message?: string };
		// Before: { queued: false, data: undefined } (told delivered before the write was answered).
		expect([error?.name, error?.message]).toEqual(['TypeError', '`mutationOptionsFor`\'s send returned undefined, not the call\'s promise']);
		await write;
		expect(sent).toEqual(['/orders Bearer alice']);
	});

	it('its neighbours: a call that resolves none (ky.stop) is still { queued: false, data: undefined }; an answer is parsed', async () => {
		expect(await mutationOptionsFor(async () => undefined as unknown as Response).mutationFn(undefined)).toEqual({ queued: false, data: undefined });
		expect(await mutationOptionsFor(async () => Response.json({ id: 7 })).mutationFn(undefined)).toEqual({ queued: false, data: { id: 7 } });
	});
});
