/**
 * Defect hunt, thirty-seventh round (identity): work bound to who started it (API.md "Identity: persisted state belongs
 * to someone", "Work that outlives its caller", "Boundaries").
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { auth } from '../../src/entries/auth.js';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { outbox } from '../../src/entries/outbox.js';
import { waitFor } from '../helpers/wait-for.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}
});

type Outboxed = ReturnType<typeof createClient> & { outbox: { flush(): Promise<{ sent: number }>; list(): Promise<Array<{ lastError?: { message: string } }>> } };

describe('a server\'s concurrent requests, each its own user (identity and token() from an AsyncLocalStorage)', () => {
	it.each([['succeeds', false], ['fails', true]])('bob\'s outbox replay that goes while alice\'s token refresh runs is sent with bob\'s token, not refused once it ended (her refresh %s)', async (_how, fails) => {
		const als = new AsyncLocalStorage<string>();
		const tokens: Record<string, string> = { alice: 'alice-old', bob: 'bob-1' };
		const valid = new Set(['alice-new', 'bob-1']);
		let up = false;
		let hooked = 0;
		let aliceDone!: () => void;
		const refreshed: string[] = [];
		const sent: string[] = [];
		const client = createClient({
			name: `h37-als-${crypto.randomUUID()}`, prefix: 'https://api.test/', store: memoryStore, retry: 0, staleCache: false,
			identity: () => als.getStore(), outbox: outbox(),
			hooks: { beforeRequest: [({ request }: { request: Request }) => {
				hooked += request.method === 'POST' ? 1 : 0;
			}] },
			auth: auth({ origins: ['https://api.test'], token: () => tokens[als.getStore()!], refresh: async () => {
				const who = als.getStore()!;
				refreshed.push(who);
				await new Promise<void>((resolve, reject) => {
					aliceDone = fails ? () => reject(new Error('refresh endpoint down')) : resolve;
				});
				tokens[who] = `${who}-new`;
			} }),
			fetch: (async (input: Request) => {
				const value = input.headers.get('authorization')!;
				sent.push(`${input.method} ${value}`);
				if (!up && input.method === 'POST') {
					throw new TypeError('fetch failed');
				}

				return valid.has(value.slice(7)) ? Response.json({ ok: true }) : new Response('no', { status: 401 });
			}) as typeof fetch,
		} as never) as Outboxed;
		made.push(client);
		// Bob's write, queued while the origin was unreachable.
		await als.run('bob', async () => client.post('todos', { json: { a: 1 } }).catch(() => undefined));
		await waitFor(async () => (await als.run('bob', async () => client.outbox.list())).length === 1, 'bob\'s write queued');
		up = true;
		// Alice's call gets a 401: her refresh runs.
		const alice = als.run('alice', async () => client.get('a').then((response) => response.status, (error: Error) => error.name));
		await waitFor(() => refreshed.length === 1, 'alice\'s refresh');
		// Bob's request flushes his outbox meanwhile: his replay reaches the client's hooks (auth's layer next, which waits for
		// the refresh under way), then alice's refresh ends with her still signed in where it ran.
		const flushed = als.run('bob', async () => client.outbox.flush());
		await waitFor(() => hooked === 2, 'bob\'s replay at the client\'s hooks');
		aliceDone();
		expect(await alice).toBe(fails ? 'AuthError' : 200);
		await flushed;
		const left = await als.run('bob', async () => client.outbox.list());
		// Before: [1, 'AuthError: The identity changed, or the client was cleared: not sent again', ['POST Bearer bob-1'], ['alice']]:
		// bob's replay refused (alice's refresh taken for the end of his session), his write left pending.
		expect([left.length, left[0]?.lastError?.message, sent.filter((line) => line.startsWith('POST')), refreshed]).toEqual([0, undefined, ['POST Bearer bob-1', 'POST Bearer bob-1'], ['alice']]);
	});
});
