/**
 * The thirty-fifth round on auth and request contexts (defect hunt): a refresh per request in a Worker, where
 * concurrent requests of one isolate get their 401s at once (a token that expired).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { auth, AuthError } from '../../src/entries/auth.js';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { waitFor } from '../helpers/wait-for.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	vi.unstubAllGlobals();
	for (const client of made.splice(0)) {
		client.close();
	}
});

type Ctx = { waitUntil(promise: Promise<unknown>): void };
type Client = ReturnType<typeof createClient> & { withContext(ctx: Ctx): ReturnType<typeof createClient> };

/**
 * A client named `name` on `https://api.test/` whose origin answers 401 to any token but 'new'; its `refresh` waits for
 * `settle` (then the token is 'new'), given `refreshTimeoutMs` when set.
 */
const setup = (settle: () => Promise<unknown>, name = `h35-auth-${crypto.randomUUID()}`, refreshTimeoutMs?: number) => {
	const sent: Array<string | null> = [];
	let token = 'old';
	let refreshes = 0;
	const client = createClient({
		name, prefix: 'https://api.test/', store: memoryStore, retry: 0, staleCache: false,
		auth: auth({ origins: ['https://api.test'], ...(refreshTimeoutMs && { refreshTimeoutMs }), token: () => token, refresh: async () => {
			refreshes++;
			await settle();
			token = 'new';
		} }),
		fetch: (async (input: Request) => {
			const value = input.headers.get('authorization');
			sent.push(value);
			return value === 'Bearer new' ? Response.json({ ok: true }) : new Response('no', { status: 401 });
		}) as typeof fetch,
	} as never) as unknown as Client;
	made.push(client);
	return { client, sent, refreshes: () => refreshes };
};

/** `setup` with refreshes held until `finish()`. */
const held = () => {
	const gates: Array<() => void> = [];
	const parts = setup(async () => new Promise<void>((resolve) => gates.push(resolve)));
	return { ...parts, finish: () => {
		for (const gate of gates.splice(0)) {
			gate();
		}
	} };
};

const outcome = async (promise: Promise<Response>): Promise<string> => promise.then(async (response) => JSON.stringify(await response.json()), (error: unknown) => (error instanceof AuthError ? 'AuthError' : String(error)));

describe('in a Worker, a refresh per request', () => {
	it('a call of request A whose 401 comes while request B\'s refresh runs joins A\'s own refresh: one per request', async () => {
		vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' });
		const { client, sent, refreshes, finish } = held();
		const a = client.withContext({ waitUntil: () => undefined });
		const b = client.withContext({ waitUntil: () => undefined });
		const first = outcome(a.get('a1'));
		await waitFor(() => refreshes() === 1, 'A\'s refresh');
		const other = outcome(b.get('b1'));
		await waitFor(() => refreshes() === 2, 'B\'s refresh');
		const second = outcome(a.get('a2'));
		await waitFor(() => sent.length === 3, 'A\'s second call answered 401');
		await new Promise((resolve) => setTimeout(resolve, 50)); // Time for a third refresh to start, were one to.
		const during = refreshes();
		finish();
		await waitFor(() => refreshes() === during, 'settled');
		expect([await first, await other, await second, during]).toEqual(['{"ok":true}', '{"ok":true}', '{"ok":true}', 2]);
	});
});

describe('refreshTimeoutMs across tabs', () => {
	it('a refresh run after waiting for a Web Lock held elsewhere (a tab gone, no word) gets its whole refreshTimeoutMs', async () => {
		const name = `h35-lock-${crypto.randomUUID()}`;
		// refresh() takes a fifth of refreshTimeoutMs.
		const { client, sent, refreshes } = setup(async () => new Promise((resolve) => setTimeout(resolve, 200)), name, 1_000);
		// Another tab's refresh holds the lock, and that tab goes away without a word (its refresh never told).
		let granted!: () => void;
		const taken = new Promise<void>((resolve) => {
			granted = resolve;
		});
		const holder = navigator.locks.request(`steadfetch:${name}/auth https://api.test/`, async () => {
			granted();
			await new Promise((resolve) => setTimeout(resolve, 500));
		});
		await taken;
		const answer = await outcome(client.get('a'));
		await holder;
		// Before: 'AuthError' (cause: the timeout's), refresh() called with what was left of a timer started before the wait.
		expect([answer, refreshes(), sent]).toEqual(['{"ok":true}', 1, ['Bearer old', 'Bearer new']]);
	});
});
