/** The contract's outbox part: queue, replay once with the same key, refuse before I/O, dead letters. */
import type { ClientOptions, OutboxOptions } from '../../src/entries/index.js';
import { deepEqual, equal, ok, rejects } from './assert.js';
import { uid, type ContractCase, type ContractEnv, type Library } from './types.js';

export const outboxCases = (lib: Library, env: ContractEnv): ContractCase[] => {
	const { createClient, autoStore } = lib;
	const base = env.baseUrl + '/';
	/** A client on the runtime's own store (memory in Node, the Cache API in workerd and Deno, IndexedDB in Chromium), under a fresh name. */
	const make = (outbox: OutboxOptions, more: ClientOptions = {}) =>
		createClient({ baseUrl: base, store: autoStore, name: `contract-outbox-${uid()}`, retry: 0, breaker: false, staleCache: false, outbox, ...more }) as ReturnType<typeof createClient<{ outbox: true }>>;
	const applied = async (id: string) => (await (await fetch(`${base}applied?id=${id}`)).json()) as { applied: Array<{ key: string; body: string }>; duplicates: number };

	const cases: Array<[string, () => Promise<void>]> = [
		['a mutation that fails transiently is queued (OutboxQueuedError) and delivered once, with the same Idempotency-Key, by flush()', async () => {
			const api = make({ baseBackoffMs: 0 }, { headers: { authorization: 'Bearer contract-secret' } });
			try {
				const id = uid();
				let fired = 0;
				api.on('outbox:queued', () => fired++);
				const error = await rejects(api.post(`mutate?id=${id}&fail=503&times=1`, { json: { n: 1 } }));
				ok(error instanceof lib.OutboxQueuedError, String(error));
				equal(fired, 1, 'outbox:queued');
				const [entry] = await api.outbox.list();
				equal(entry?.id, (error as InstanceType<typeof lib.OutboxQueuedError>).entryId);
				equal(entry?.attempts, 1);
				equal(entry?.headers['authorization'], undefined, 'no Authorization stored');
				ok(typeof entry?.idempotencyKey === 'string' && entry.idempotencyKey.length > 0);
				const result = await api.outbox.flush();
				deepEqual(result, { sent: 1, failed: 0, dead: 0, remaining: 0 });
				const server = await applied(id);
				equal(server.applied.length, 1);
				equal(server.applied[0]?.key, entry?.idempotencyKey);
				equal(server.applied[0]?.body, '{"n":1}');
				equal(await api.outbox.size(), 0);
			} finally {
				await api.clear();
				api.close();
			}
		}],
		['a refused connection is queued (NETWORK); the entry survives a new client on the same store (a reload)', async () => {
			const store = lib.memoryStore('reload');
			const options = { baseUrl: base, store: () => store, retry: 0, breaker: false as const, staleCache: false as const, outbox: { baseBackoffMs: 0 } };
			const first = createClient(options);
			await rejects(first.post(`${env.refusedUrl}/x`, { json: { a: 1 } }));
			equal((await first.outbox.list())[0]?.lastError?.code, 'NETWORK');
			first.close();
			const second = createClient(options);
			try {
				const [entry] = await second.outbox.list();
				equal(entry?.url, `${env.refusedUrl}/x`);
				equal(entry?.method, 'POST');
			} finally {
				second.close();
			}
		}],
		['refused before any I/O: a ReadableStream body (InvalidRequestError), a body over maxBodyBytes (OutboxFullError)', async () => {
			const api = make({ maxBodyBytes: 4 });
			try {
				const id = uid();
				const stream = new ReadableStream({ start(controller) {
					controller.close();
				} });
				ok(await rejects(api.post(`mutate?id=${id}`, { body: stream })) instanceof lib.InvalidRequestError);
				ok(await rejects(api.post(`mutate?id=${id}`, { body: 'too long' })) instanceof lib.OutboxFullError);
				equal((await (await fetch(`${base}hits?id=${id}&path=/mutate`)).json() as { hits: number }).hits, 0);
			} finally {
				api.close();
			}
		}],
		["a permanent 4xx is thrown as ky throws it, never queued; queuedResponse 'accepted' resolves with 202", async () => {
			const api = make({ baseBackoffMs: 0, queuedResponse: 'accepted' });
			try {
				ok(lib.isHTTPError(await rejects(api.post(`status/422?id=${uid()}`))));
				const response = await api.post(`mutate?id=${uid()}&fail=503`);
				equal(response.status, 202);
				ok(response.headers.get('steadfetch-outbox-entry'));
				equal(await api.outbox.size(), 1);
			} finally {
				await api.clear();
				api.close();
			}
		}],
		['a replay answered with a 4xx becomes a dead letter (rejected); discard() removes it', async () => {
			const api = make({ baseBackoffMs: 0 });
			try {
				let dead = 0;
				api.on('outbox:dead', () => dead++);
				await rejects(api.post(`mutate?id=${uid()}&fail=503,422`));
				deepEqual(await api.outbox.flush(), { sent: 0, failed: 0, dead: 1, remaining: 0 });
				const [letter] = await api.outbox.deadLetters();
				equal(letter?.deadReason, 'rejected');
				equal(letter?.lastError?.status, 422);
				equal(dead, 1);
				await api.outbox.discard(letter!.id);
				equal((await api.outbox.deadLetters()).length, 0);
			} finally {
				await api.clear();
				api.close();
			}
		}],
	];
	return cases.map(([name, run]) => ({ name: `outbox: ${name}`, run }));
};
