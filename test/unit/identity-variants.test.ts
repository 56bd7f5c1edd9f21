/**
 * Work stays bound to who started it (API.md "Work that outlives its caller", "Identity: persisted state
 * belongs to someone"): variants of the fourth round's fixes, fifth round.
 */
import { describe, expect, it } from 'vitest';
import { auth } from '../../src/entries/auth.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { classify, createClient } from '../../src/entries/core.js';
import { memoryStore, outbox } from '../../src/entries/index.js';
import { scripted } from './counting-origin-kit.js';

describe('no further attempt of a call goes out once its identity changed: checked as it goes out, after every layer\'s wait', () => {
	it.each(['an identity change', 'clear()'] as const)('a retry that waited for a bulkhead slot during %s is not sent', async (how) => {
		const { attempts, fetch } = scripted();
		let who = 'alice';
		const api = createClient({ fetch, retry: { limit: 1, delay: () => 0 }, retryBudget: false, timeout: false, breaker: false, identity: () => who, bulkhead: bulkhead({ maxConcurrent: 1 }) });
		const alices = api.get('https://api.test/alices').text().catch((error: unknown) => error);
		await expect.poll(() => attempts.length).toBe(1);
		// Another call takes the slot as alice's first attempt gives it back: her retry queues behind it.
		const other = api.get('https://api.test/other', { retry: 0 }).text().catch((error: unknown) => error);
		attempts[0]!.answer(503);
		await expect.poll(() => attempts.length).toBe(2);
		expect(new URL(attempts[1]!.request.url).pathname).toBe('/other');
		if (how === 'clear()') {
			await api.clear();
		} else {
			who = 'bob';
		}

		attempts[1]!.answer(200);
		expect(await other).toBe('200');
		// Not sent (the call ends), or sent: whichever comes first.
		await expect.poll(async () => Promise.race([alices.then(() => 'ended'), new Promise((resolve) => setTimeout(resolve, 5, 'running'))]).then((state) => state === 'ended' || attempts.length > 2)).toBe(true);
		expect(attempts.map(({ request }) => new URL(request.url).pathname)).toEqual(['/alices', '/other']);
		// As a retry refused before any layer's wait is.
		expect(classify(await alices).code).toBe('ABORTED');
		api.close();
	});

	it('a retry whose async auth token() answered after the identity changed is not sent with the next user\'s token', async () => {
		const { attempts, fetch } = scripted();
		let who = 'alice';
		let reads = 0;
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		const token = async (): Promise<string> => {
			if (++reads === 2) {
				await held; // The retry's read: the app's session store answers after the switch to bob.
			}

			return `token-of-${who}`;
		};

		const api = createClient({ fetch, retry: { limit: 1, delay: () => 0 }, retryBudget: false, timeout: false, breaker: false, identity: () => who, auth: auth({ token, refresh: async () => undefined, origins: ['https://api.test'] }) });
		const alices = api.get('https://api.test/alices').text().catch((error: unknown) => error);
		await expect.poll(() => attempts.length).toBe(1);
		attempts[0]!.answer(503);
		await expect.poll(() => reads).toBe(2);
		who = 'bob';
		release();
		await expect.poll(async () => Promise.race([alices.then(() => 'ended'), new Promise((resolve) => setTimeout(resolve, 5, 'running'))]).then((state) => state === 'ended' || attempts.length > 1)).toBe(true);
		expect(attempts.map(({ request }) => request.headers.get('authorization'))).toEqual(['Bearer token-of-alice']);
		expect(classify(await alices).code).toBe('ABORTED');
		api.close();
	});
});

describe('clear({ identity }) ends only that identity\'s work', () => {
	it('a replay of bob\'s write in flight when the app clears ann\'s is neither aborted nor sent again: delivered, its entry removed', async () => {
		let release: () => void = () => undefined;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		let online = false;
		const sent: Array<{ key: string | null; aborted: () => boolean }> = [];
		const fetch = (async (request: Request) => {
			if (!online) {
				throw new TypeError('Failed to fetch');
			}

			sent.push({ key: request.headers.get('idempotency-key'), aborted: () => request.signal.aborted });
			await held;
			request.signal.throwIfAborted();
			return Response.json({ ok: true });
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, retry: 0, retryBudget: false, breaker: false, staleCache: false, store: () => memoryStore('identity-variants-replay'), identity: () => 'bob', outbox: outbox({ resumeJitterMs: 0 }) });
		const told = await api.post('https://api.test/todos', { json: { title: 'milk' } }).then(() => undefined, (error: unknown) => error);
		expect(classify(told).code).toBe('QUEUED');
		online = true;
		const delivered = new Promise((resolve) => api.on('outbox:sent', resolve));
		const flushing = api.outbox.flush();
		await expect.poll(() => sent.length).toBe(1);
		// Ann's records go under the drain's lock: the clear waits for the pass under way.
		const clearing = api.clear({ identity: 'ann' });
		await new Promise((resolve) => setTimeout(resolve, 20));
		const aborted = sent[0]!.aborted();
		release();
		await Promise.all([flushing, clearing]);
		expect(aborted).toBe(false);
		await delivered;
		expect(await api.outbox.size()).toBe(0);
		api.close();
	});
});

describe('clear({ identity }) of another identity during bob\'s replay', () => {
	it('bob\'s dependent write still goes out with the value of his delivered entry', async () => {
		let release: () => void = () => undefined;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		let online = false;
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			if (!online) {
				throw new TypeError('Failed to fetch');
			}

			sent.push(`${request.method} ${new URL(request.url).pathname}`);
			if (request.method === 'POST') {
				await held;
				return Response.json({ id: 7 }, { status: 201 });
			}

			return Response.json({ ok: true });
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, retry: 0, retryBudget: false, breaker: false, staleCache: false, store: () => memoryStore('identity-variants-dependent'), identity: () => 'bob', outbox: outbox({ resumeJitterMs: 0 }) });
		const parent = await api.post('https://api.test/todos', { json: {} }).then(() => undefined, (error: unknown) => (error as { entryId: string }).entryId);
		const child = await api.put(`https://api.test/todos/${api.outbox.ref(parent!, '/id')}`, { json: {} }).then(() => undefined, (error: unknown) => classify(error).code);
		expect(child).toBe('QUEUED');
		online = true;
		const flushing = api.outbox.flush();
		await expect.poll(() => sent.length).toBe(1);
		const clearing = api.clear({ identity: 'ann' });
		release();
		await Promise.all([flushing, clearing]);
		await api.outbox.flush();
		expect({ sent, dead: (await api.outbox.deadLetters()).map((each) => each.deadReason) }).toEqual({ sent: ['POST /todos', 'PUT /todos/7'], dead: [] });
		api.close();
	});
});
