/** The contract's outbox part: queue, replay once with the same key, refuse before I/O, dead letters. */
import type { ClientOptions, OutboxOptions, OutboxPolicy } from '../../src/entries/index.js';
import { deepEqual, equal, ok, rejects } from './assert.js';
import { uid, type ContractCase, type ContractEnv, type Library } from './types.js';

export const outboxCases = (lib: Library, env: ContractEnv): ContractCase[] => {
	const { createClient, autoStore, outbox } = lib;
	const base = env.baseUrl + '/';
	/** A client on the runtime's own store (memory in Node, the Cache API in workerd and Deno, IndexedDB in Chromium), under a fresh name. */
	const make = (options: OutboxOptions, more: ClientOptions = {}) =>
		createClient({ baseUrl: base, store: autoStore, name: `contract-outbox-${uid()}`, retry: 0, breaker: false, staleCache: false, outbox: outbox(options), ...more }) as ReturnType<typeof createClient<{ outbox: OutboxPolicy }>>;
	const applied = async (id: string) => (await (await fetch(`${base}applied?id=${id}`)).json()) as { applied: Array<{ key: string; body: string; sha256: string; size: number; type: string | null }>; duplicates: number };
	/** The test API's versioned document: its state, and an edit made by "another device". */
	const docState = async (id: string) => (await (await fetch(`${base}docstate?id=${id}`)).json()) as { version: number; body: string; conflicts: number; writes: Array<{ body: string; ifMatch: string | null }> };
	const editElsewhere = async (id: string, body: string) => {
		equal((await fetch(`${base}doc?id=${id}`, { method: 'PUT', body })).status, 200, 'the other device\'s edit');
	};
	/** A store that outlives a client, as the runtime's own persisted store does across a reload (memory in Node needs sharing by hand). */
	const persisted = () => {
		const store = lib.memoryStore('contract-reload');
		return env.runtime === 'node' ? () => store : autoStore;
	};

	const cases: Array<[string, () => Promise<void>]> = [
		['a mutation that fails transiently is queued (OutboxQueuedError) and delivered once, with the same Idempotency-Key, by flush()', async () => {
			// A backoff longer than the test: with 0 the outbox's own timer may replay the entry before it is
			// listed (Deno did, once); flush() replays pending entries before their backoff.
			const api = make({ baseBackoffMs: 60_000 }, { headers: { authorization: 'Bearer contract-secret' } });
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
		['files: a Blob queued on a 503 and a Uint8Array queued behind it (no I/O) are kept as bytes by the runtime\'s store (the Cache API in workerd and Deno, IndexedDB in Chromium) and replayed byte-identical after a reload: the same SHA-256, Content-Type and Idempotency-Key; bodyBytes and stats() count them', async () => {
			const name = `contract-files-${uid()}`;
			const store = persisted();
			const options = (): ClientOptions => ({ baseUrl: base, store, name, retry: 0, breaker: false, staleCache: false, outbox: outbox({ baseBackoffMs: 60_000 }) });
			const bytes = new Uint8Array(300_000);
			for (let index = 0; index < bytes.length; index++) {
				bytes[index] = (index * 7 + (index >> 9)) & 0xff;
			}

			const hex = async (data: ArrayBuffer | Uint8Array<ArrayBuffer>) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', data))].map((byte) => byte.toString(16).padStart(2, '0')).join('');
			const expected = await hex(bytes);
			const [blobId, viewId] = [uid(), uid()];
			const first = createClient(options()) as ReturnType<typeof createClient<{ outbox: OutboxPolicy }>>;
			try {
				ok(await rejects(first.post(`mutate?id=${blobId}&fail=503&times=1`, { body: new Blob([bytes], { type: 'image/png' }) })) instanceof lib.OutboxQueuedError);
				ok(await rejects(first.put(`mutate?id=${viewId}`, { body: bytes.subarray(100), headers: { 'content-type': 'application/octet-stream' } })) instanceof lib.OutboxQueuedError);
				deepEqual((await first.outbox.list()).map((entry) => entry.bodyBytes), [300_000, 299_900]);
			} finally {
				first.close();
			}

			// The reload's own drain (in a page, after a random 0–2 s wait) would replay them too: here flush() is asked.
			const second = createClient({ ...options(), outbox: outbox({ baseBackoffMs: 60_000, resumeJitterMs: 60_000 }) }) as ReturnType<typeof createClient<{ outbox: OutboxPolicy }>>;
			try {
				const entries = await second.outbox.list();
				deepEqual(await second.outbox.stats(), { entries: 2, dead: 0, bytes: 599_900 });
				deepEqual(await second.outbox.flush(), { sent: 2, failed: 0, dead: 0, remaining: 0 });
				const [blob, view] = [(await applied(blobId)).applied, (await applied(viewId)).applied];
				deepEqual([blob.length, blob[0]?.sha256, blob[0]?.type, blob[0]?.key], [1, expected, 'image/png', entries[0]?.idempotencyKey]);
				deepEqual([view.length, view[0]?.sha256, view[0]?.size, view[0]?.type, view[0]?.key], [1, await hex(bytes.slice(100)), 299_900, 'application/octet-stream', entries[1]?.idempotencyKey]);
			} finally {
				await second.clear();
				second.close();
			}
		}],
		['a refused connection is queued (NETWORK); the entry survives a new client on the same store (a reload)', async () => {
			const store = lib.memoryStore('reload');
			const options = { baseUrl: base, store: () => store, retry: 0, breaker: false as const, staleCache: false as const, outbox: outbox({ baseBackoffMs: 0 }) };
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
		['a ReadableStream body goes out as with outbox: false, never queued; a body over maxBodyBytes goes out when it can, and is OutboxFullError (nothing stored) when it must be stored', async () => {
			const api = make({ maxBodyBytes: 4 });
			try {
				const id = uid();
				const stream = new ReadableStream({ start(controller) {
					controller.close();
				} });
				// Answered, or the runtime's own failure (a browser streams a request body over HTTP/2 only): never refused by the outbox nor queued. Before: InvalidRequestError.
				const streamed = await api.post(`mutate?id=${uid()}`, { body: stream }).then((response) => response.status, (error: unknown) => error);
				ok(streamed === 201 || !(streamed instanceof lib.InvalidRequestError || streamed instanceof lib.OutboxQueuedError), String(streamed));
				equal(await api.outbox.size(), 0);
				equal((await api.post(`mutate?id=${id}`, { body: 'too long' })).status, 201);
				ok(await rejects(api.post(`mutate?id=${uid()}&fail=503`, { body: 'too long' })) instanceof lib.OutboxFullError);
				equal(await api.outbox.size(), 0);
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
			const api = make({ baseBackoffMs: 60_000 }); // flush() replays it, not the outbox's timer first
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
		['a replay whose precondition fails (the resource changed meanwhile) is a conflict: one 412, outbox:conflict, a dead letter CONFLICT, nothing overwritten', async () => {
			const api = make({ baseBackoffMs: 60_000 });
			try {
				const id = uid();
				const etag = (await fetch(`${base}doc?id=${id}`)).headers.get('etag')!;
				const events: string[] = [];
				api.on('outbox:conflict', (event) => events.push(`conflict ${event.status}`));
				api.on('outbox:dead', (event) => events.push(`dead ${event.deadReason} ${event.code}`));
				ok(await rejects(api.put(`doc?id=${id}&fail=503`, { body: 'mine', headers: { 'If-Match': etag } })) instanceof lib.OutboxQueuedError);
				deepEqual((await api.outbox.list())[0]?.preconditions, { 'if-match': etag });
				await editElsewhere(id, 'theirs');
				deepEqual(await api.outbox.flush(), { sent: 0, failed: 0, dead: 1, remaining: 0 });
				deepEqual(events, ['conflict 412', 'dead conflict CONFLICT']);
				const [letter] = await api.outbox.deadLetters();
				deepEqual([letter?.deadReason, letter?.lastError?.code, letter?.lastError?.status], ['conflict', 'CONFLICT', 412]);
				const state = await docState(id);
				deepEqual([state.body, state.conflicts], ['theirs', 1]);
			} finally {
				await api.clear();
				api.close();
			}
		}],
		['onConflict rebases the write on the current version: a new Idempotency-Key, the given precondition, applied once', async () => {
			const api = make({
				baseBackoffMs: 60_000,
				onConflict: async ({ response }) => ({ body: 'rebased', headers: { 'If-Match': response.headers.get('etag')! } }),
			});
			try {
				const id = uid();
				await rejects(api.put(`doc?id=${id}&fail=503`, { body: 'mine', headers: { 'If-Match': '"v1"' } }));
				const [queued] = await api.outbox.list();
				await editElsewhere(id, 'theirs');
				deepEqual(await api.outbox.flush(), { sent: 1, failed: 0, dead: 0, remaining: 0 });
				const state = await docState(id);
				deepEqual([state.body, state.conflicts, state.writes.map((write) => write.ifMatch)], ['rebased', 1, [null, '"v2"']]);
				ok(queued?.idempotencyKey !== undefined);
			} finally {
				await api.clear();
				api.close();
			}
		}],
		['coalesce: PUTs of one URL queued behind a waiting POST leave only the last (outbox:superseded for the others); the POST is never coalesced', async () => {
			const api = make({ baseBackoffMs: 60_000, coalesce: true });
			try {
				const id = uid();
				let superseded = 0;
				api.on('outbox:superseded', () => superseded++);
				// The POST fails (503) and waits a minute; the PUTs are queued behind it, never sent.
				for (const [method, body] of [['post', 'p'], ['put', '1'], ['put', '2'], ['put', '3']] as const) {
					ok(await rejects(api[method](`doc?id=${id}&fail=503`, { body })) instanceof lib.OutboxQueuedError);
				}

				equal(superseded, 2);
				equal(await api.outbox.size(), 2);
				deepEqual(await api.outbox.flush(), { sent: 2, failed: 0, dead: 0, remaining: 0 });
				deepEqual((await docState(id)).writes.map((write) => write.body), ['p', '3']);
			} finally {
				await api.clear();
				api.close();
			}
		}],
		['an entry queued under version 1 is migrated once by the next client version (a reload), on the runtime\'s persisted store', async () => {
			const store = persisted();
			const name = `contract-migrate-${uid()}`;
			const id = uid();
			const first = createClient({ baseUrl: base, store, name, retry: 0, breaker: false, staleCache: false, outbox: outbox({ baseBackoffMs: 60_000 }) });
			await rejects(first.put(`doc?id=${id}&fail=503`, { json: { title: 'v1 shape' } }));
			first.close();
			let migrations = 0;
			const next = createClient({
				baseUrl: base, store, name, retry: 0, breaker: false, staleCache: false,
				// The reload's own drain (in a page, after a random 0–2 s wait) would migrate and replay it too: here flush() is asked.
				outbox: outbox({ version: 2, resumeJitterMs: 60_000, migrate: (entry, from) => {
					migrations++;
					const old = JSON.parse(new TextDecoder().decode(entry.body)) as { title: string };
					return { ...entry, body: new TextEncoder().encode(JSON.stringify({ name: old.title, from })).buffer as ArrayBuffer };
				} }),
			});
			try {
				deepEqual((await next.outbox.list()).map((entry) => entry.version), [1]);
				deepEqual(await next.outbox.flush(), { sent: 1, failed: 0, dead: 0, remaining: 0 });
				equal(migrations, 1);
				deepEqual((await docState(id)).writes.map((write) => write.body), ['{"name":"v1 shape","from":1}']);
			} finally {
				await next.clear();
				next.close();
			}
		}],
	];
	return cases.map(([name, run]) => ({ name: `outbox: ${name}`, run }));
};
