/**
 * The fortieth round on work bound to who started it (auth): a refresh in flight across an identity change or a
 * `clear()`, through a client's `extend()` child too.
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

const outcome = async (promise: Promise<Response>): Promise<string> => promise.then(async (response) => `${response.status}`, (error: { code?: string; name?: string }) => (error instanceof AuthError ? 'AuthError' : (error.code ?? String(error))));

/**
 * One app: who is signed in, the token store the app's refresh writes to (the first refresh waits for `finish()`, then
 * writes alice's token over bob's), the network (down while `state.down`); with `identity` the signed-in user, with
 * `queue` an outbox.
 */
const app = ({ identity = false, queue = false } = {}) => {
	const state = { user: 'alice' as string | undefined, token: 'alice-old', down: false };
	const sent: string[] = [];
	let finish!: () => void;
	let refreshes = 0;
	const client = createClient({
		name: `h40-auth-${crypto.randomUUID()}`, prefix: 'https://api.test/', store: memoryStore, retry: 0, staleCache: false,
		...(identity && { identity: () => state.user }),
		...(queue && { outbox: outbox({ networkTimeoutMs: false } as never) }),
		auth: auth({ origins: ['https://api.test'], token: () => state.token, refresh: async () => {
			refreshes++;
			if (refreshes === 1) {
				await new Promise<void>((resolve) => {
					finish = resolve;
				});
				state.token = 'alice-new'; // a late write of the ended session's token
			} else {
				state.token = `${state.user ?? 'anon'}-fresh`;
			}
		} }),
		fetch: (async (input: Request) => {
			if (state.down) {
				throw new TypeError('fetch failed');
			}

			const value = input.headers.get('authorization') ?? 'none';
			sent.push(`${new URL(input.url).pathname} ${value}`);
			return value === 'Bearer alice-old' ? new Response('no', { status: 401 }) : Response.json({ ok: true });
		}) as typeof fetch,
	} as never);
	made.push(client);
	return { state, sent, client, finish: () => finish(), get refreshes() {
		return refreshes;
	} };
};

describe('a refresh in flight across an identity change: nothing of alice goes with bob', () => {
	for (const through of ['client', 'extend() child'] as const) {
		it(`alice's 401-retry is not sent, bob's calls never carry alice's refreshed token (alice's call through the ${through})`, async () => {
			const world = app({ identity: true });
			const caller = through === 'client' ? world.client : world.client.extend({ headers: { 'x-child': '1' } });
			const alice = outcome(caller.get('a'));
			await waitFor(() => world.refreshes === 1, 'alice\'s refresh');
			world.state.user = 'bob';
			world.state.token = 'bob-1';
			const during = await outcome(world.client.get('b1'));
			world.finish();
			const aliceDone = await alice;
			const after = await outcome(world.client.get('b2'));
			const child = await outcome(caller.get('b3'));
			expect(world.sent.filter((line) => line.includes('alice-new'))).toEqual([]);
			expect(world.sent.filter((line) => line.startsWith('/a'))).toEqual(['/a Bearer alice-old']);
			expect([during, after, child]).toEqual(['200', '200', '200']);
			expect(aliceDone).not.toBe('200');
		});
	}

	it('without identity, a clear() (the logout) while the refresh runs: its retry is not sent, the next call does not carry the token it left', async () => {
		const world = app();
		const alice = outcome(world.client.get('a'));
		await waitFor(() => world.refreshes === 1, 'alice\'s refresh');
		await world.client.clear();
		world.state.user = undefined;
		world.finish();
		const aliceDone = await alice;
		const next = await outcome(world.client.get('n'));
		expect(world.sent.filter((line) => line.includes('alice-new'))).toEqual([]);
		expect(aliceDone).not.toBe('200');
		expect(next).toBe('200');
	});
});

describe('an outbox replay whose 401 starts a refresh that an identity change overtakes', () => {
	it('its retry is not sent, with neither user\'s token, and the entry stays alice\'s', async () => {
		const world = app({ identity: true, queue: true });
		const { state, sent, client, finish } = world;
		state.down = true;
		const queued = await outcome(client.post('w', { json: { a: 1 } }));
		expect(await client.outbox.size()).toBe(1);
		state.down = false;
		const flushing = client.outbox.flush();
		await waitFor(() => world.refreshes === 1, 'the replay\'s refresh');
		state.user = 'bob';
		state.token = 'bob-1';
		finish();
		await flushing;
		expect(sent).toEqual(['/w Bearer alice-old']);
		const [entry] = await client.outbox.list();
		expect([queued, await client.outbox.size(), entry?.id !== undefined]).toEqual([queued, 1, true]);
		// Bob's own drain leaves alice's entry alone.
		await client.outbox.flush();
		expect([sent, await client.outbox.size()]).toEqual([['/w Bearer alice-old'], 1]);
	});
});
