/**
 * Defect hunt, twentieth round: work that outlives its caller stays bound to the identity it started in (API.md
 * "Work that outlives its caller", "Identity: persisted state belongs to someone") — an outbox replay in flight
 * as another user signs in, and a copy whose body still streams then.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';

let made = 0;

/**
 * A client of `who()` over its own store whose transport answers a write's first attempt 500 (the caller is told it
 * is queued) and holds every later one until the test releases it with a status; what each event told, and who was signed in then.
 */
const replaying = (who: () => string) => {
	const held: Array<(status: number) => void> = [];
	let writes = 0;
	const fetch = (async (request: Request) => {
		if (request.method !== 'GET' && ++writes === 1) {
			return new Response('down', { status: 500 });
		}

		return new Response('{"id":7}', { status: await new Promise<number>((release) => held.push(release)), headers: { 'content-type': 'application/json' } });
	}) as typeof globalThis.fetch;
	const name = `h20-${++made}`;
	const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => memoryStore(name), name, identity: who, outbox: outbox({ resumeJitterMs: 0 }) });
	const told: string[] = [];
	for (const type of ['outbox:retry', 'outbox:dead', 'outbox:sent', 'outbox:conflict'] as const) {
		api.on(type, (event) => told.push(`${type} ${new URL(event.url).pathname} (${who()} signed in)`));
	}

	return { api, held, told };
};

describe('an outbox replay of alice\'s write in flight as bob signs in', () => {
	it.each([
		[503, 'outbox:retry'],
		[400, 'outbox:dead'],
	] as const)('answered %s: nothing of it is told in bob\'s session (%s), the entry stays untouched; settled once alice is back', async (status, event) => {
		let who = 'alice';
		const { api, held, told } = replaying(() => who);
		await expect(api.post('todos', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		const [queued] = await api.outbox.list();
		const flushed = api.outbox.flush();
		await waitFor(() => held.length === 1, 'the replay to be sent');
		who = 'bob';
		held[0]!(status);
		await flushed;
		// Before: `${event} /todos (bob signed in)`, and alice's entry written back (attempts 2) or made a dead letter.
		expect(told).toEqual([]);
		// Listed, as another identity's entries are (API.md), as it was queued.
		expect([await api.outbox.list(), await api.outbox.deadLetters()]).toEqual([[queued], []]);
		who = 'alice';
		// Alice is back: its replay goes again (the same Idempotency-Key) and is settled in her session.
		const again = api.outbox.flush();
		await waitFor(() => held.length === 2, 'the replay to be sent again');
		held[1]!(status);
		await again;
		expect(told).toEqual([`${event} /todos (alice signed in)`]);
		expect((status === 503 ? await api.outbox.list() : await api.outbox.deadLetters()).map(({ id, attempts }) => [id, attempts])).toEqual([[queued!.id, 2]]);
		api.close();
	});

	it('delivered (200): the entry goes as before, told outbox:sent — the server applied it', async () => {
		let who = 'alice';
		const { api, held, told } = replaying(() => who);
		await expect(api.post('todos', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		const flushed = api.outbox.flush();
		await waitFor(() => held.length === 1, 'the replay to be sent');
		who = 'bob';
		held[0]!(200);
		await flushed;
		expect(told).toEqual(['outbox:sent /todos (bob signed in)']);
		who = 'alice';
		expect([await api.outbox.list(), await api.outbox.deadLetters()]).toEqual([[], []]);
		api.close();
	});
});

describe('a copy whose body still streams as the identity changes', () => {
	it('is stored under neither identity: alice\'s answer, bob signed in before its last byte', async () => {
		let who = 'alice';
		let down = false;
		let end!: () => void;
		const fetch = (async (request: Request) => {
			if (down) {
				throw new TypeError('fetch failed');
			}

			if (new URL(request.url).pathname === '/bobs') {
				return Response.json({ bob: true }, { headers: { 'cache-control': 'max-age=60' } });
			}

			const body = new ReadableStream<Uint8Array>({
				start(controller) {
					controller.enqueue(new TextEncoder().encode('{"alice":'));
					end = () => {
						controller.enqueue(new TextEncoder().encode('true}'));
						controller.close();
					};
				},
			});
			return new Response(body, { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60' } });
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => memoryStore(`h20-${++made}`), identity: () => who });
		const stored: string[] = [];
		api.on('cache:stored', (event) => stored.push(new URL(event.url).pathname));
		const response = await api.get('mine');
		who = 'bob';
		end();
		expect(await response.json()).toEqual({ alice: true });
		// Bob's own copy, stored after alice's stream ended: alice's would have been written by then.
		await api.get('bobs').json();
		await waitFor(() => stored.includes('/bobs'), 'bob\'s copy to be stored');
		expect(stored).toEqual(['/bobs']);
		down = true;
		await expect(api.get('mine').json()).rejects.toMatchObject({ name: 'NetworkError' });
		who = 'alice';
		await expect(api.get('mine').json()).rejects.toMatchObject({ name: 'NetworkError' });
		// Nor does bob's copy answer alice.
		await expect(api.get('bobs').json()).rejects.toMatchObject({ name: 'NetworkError' });
		api.close();
	});
});
