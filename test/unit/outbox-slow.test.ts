/**
 * Slow networks, writes (API.md "Slow networks: an answer within a deadline"): with
 * `outbox({ networkTimeoutMs })` a write still unanswered at its deadline is stored and the caller
 * told it is queued, while its attempt goes on under its Idempotency-Key; no replay of it starts,
 * in this client or another on the same store, while that attempt is in flight. The origin holds
 * every write while `hang` is set, until a test answers it with a status.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox, OutboxQueuedError, type Client, type ClientOptions, type KeyValueStore, type OutboxOptions, type OutboxPolicy } from '../../src/entries/index.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { resolveOutboxOptions } from '../../src/outbox/options.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { collect, settle } from './cache-kit.js';
import { until } from './outbox-helpers.js';

/** A write the origin got: its Idempotency-Key and body, whether the client went away, and how to answer it. */
interface Seen {
	path: string;
	key: string;
	body: string;
	signal: AbortSignal;
	/** Its Authorization header (whose token it went out with). */
	auth: string | null;
	answer?: (status: number) => void;
}

let server: RunningServer;
let hang = false;
/** What the origin answers a write it does not hold. */
let reply = 201;
const seen: Seen[] = [];
/** Writes applied, once per Idempotency-Key. */
const applied = new Set<string>();

beforeAll(async () => {
	server = await serve(async (request) => {
		const write: Seen = { path: new URL(request.url).pathname, key: request.headers.get('idempotency-key') ?? '', body: await request.text(), signal: request.signal, auth: request.headers.get('authorization') };
		seen.push(write);
		const status = hang ? await new Promise<number>((answer) => {
			write.answer = answer;
		}) : reply;
		if (status < 300) {
			applied.add(write.key);
		}

		return Response.json({ status }, { status });
	});
});

afterAll(async () => server.close());

let store: KeyValueStore;
const clock = new ManualClock();
const clients: Array<Client<{ outbox: OutboxPolicy }>> = [];

afterEach(() => {
	hang = false;
	reply = 201;
	for (const write of seen.splice(0)) {
		write.answer?.(503);
	}

	applied.clear();
	for (const client of clients.splice(0)) {
		client.close();
	}
});

/** A client of one name on the test's store: no retries, budget, breaker or cache; the outbox with a 40 ms deadline unless given. */
const make = (options: OutboxOptions = { networkTimeoutMs: 40 }, more: ClientOptions = {}): Client<{ outbox: OutboxPolicy }> => {
	const client = createClient({
		baseUrl: `${server.url}/`, clock, random: () => 0.5, store: () => store, name: 'slow-outbox',
		retry: 0, retryBudget: false, breaker: false, staleCache: false, outbox: outbox(options), ...more,
	}) as Client<{ outbox: OutboxPolicy }>;
	clients.push(client);
	return client;
};

let tests = 0;
/** A path of this test's own: a request of an earlier test that reaches the origin late is not counted. */
const fresh = (): string => `/orders/${++tests}`;
/** The writes the origin got at `path`. */
const at = (path: string): Seen[] => seen.filter((write) => write.path === path);

/** A write queued at its deadline while the origin holds it: the client, the error, its path, the held request (once the origin has it). */
const queuedEarly = async (options?: OutboxOptions) => {
	store = memoryStore(`slow-outbox-${Math.random()}`);
	hang = true;
	const api = make(options);
	const path = fresh();
	const error = await api.post(path.slice(1), { json: { item: 'tea' } }).catch((caught: unknown) => caught);
	await until(() => at(path).length === 1);
	return { api, error: error as OutboxQueuedError, path, write: at(path)[0]! };
};

/** As `queuedEarly`, a PUT with the call's own options. */
const queuedEarlyWith = async (options: OutboxOptions, call: Record<string, unknown>) => {
	store = memoryStore(`slow-outbox-${Math.random()}`);
	hang = true;
	const api = make(options);
	const path = fresh();
	const error = await api.put(path.slice(1), { json: { item: 'tea' }, ...call }).catch((caught: unknown) => caught);
	await until(() => at(path).length === 1);
	return { api, error: error as OutboxQueuedError, path, write: at(path)[0]! };
};

describe('slow networks: writes', () => {
	it('a write unanswered at its deadline is queued (OutboxQueuedError, outbox:queued TIMEOUT, stats queued) while its attempt goes on', async () => {
		store = memoryStore(`slow-outbox-${Math.random()}`);
		hang = true;
		const api = make();
		const queued = collect(api, 'outbox:queued');
		const path = fresh();
		const error = await api.post(path.slice(1), { json: { item: 'tea' } }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(OutboxQueuedError);
		await until(() => at(path).length === 1);
		expect(queued).toMatchObject([{ code: 'TIMEOUT', entryId: (error as OutboxQueuedError).entryId }]);
		const [entry] = await api.outbox.list();
		expect(entry).toMatchObject({ id: (error as OutboxQueuedError).entryId, attempts: 0, method: 'POST' });
		expect(entry!.inFlightUntil).toBe(clock.now() + 20_000); // Its lease (the call's totalTimeout, 20 000 by default), shown while the attempt is in flight.
		expect(at(path)[0]!.signal.aborted).toBe(false);
		expect(entry!.idempotencyKey).toBe(at(path)[0]!.key);
		expect(api.stats()[server.url]).toMatchObject({ queued: 1, failures: {} });
	});

	it('its attempt succeeds: the entry goes, outbox:sent with early: true, and the origin saw exactly one request (no replay meanwhile)', async () => {
		const { api, path, write } = await queuedEarly();
		const sent = collect(api, 'outbox:sent');
		// A drain while the attempt is in flight replays nothing.
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, remaining: 1 });
		write.answer!(201);
		await until(() => sent.length === 1);
		expect(sent).toMatchObject([{ status: 201, early: true, idempotencyKey: write.key }]);
		expect(await api.outbox.size()).toBe(0);
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, remaining: 0 });
		expect(at(path)).toHaveLength(1);
		expect([...applied]).toEqual([write.key]);
	});

	it('its attempt fails: the entry stays (attempts 1, lastError) and is replayed later with the same key and bytes', async () => {
		const { api, path, write } = await queuedEarly();
		const retry = collect(api, 'outbox:retry');
		write.answer!(503);
		await until(() => retry.length === 1);
		expect(await api.outbox.list()).toMatchObject([{ attempts: 1, lastError: { code: 'HTTP_5XX', status: 503 }, idempotencyKey: write.key }]);
		hang = false;
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(at(path).map(({ key, body }) => [key, body])).toEqual([[write.key, write.body], [write.key, write.body]]);
		expect([...applied]).toEqual([write.key]);
	});

	it.each([400, 422])('its attempt is rejected (%i): a dead letter at once (rejected, outbox:dead), never sent again', async (status) => {
		const { api, path, write } = await queuedEarly();
		const retry = collect(api, 'outbox:retry');
		const dead = collect(api, 'outbox:dead');
		write.answer!(status);
		await until(() => dead.length === 1);
		expect(dead).toMatchObject([{ deadReason: 'rejected', code: 'HTTP_4XX', idempotencyKey: write.key }]);
		expect(retry).toEqual([]);
		expect(await api.outbox.deadLetters()).toMatchObject([{ idempotencyKey: write.key, deadReason: 'rejected', lastError: { status } }]);
		hang = false;
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, remaining: 0 });
		expect(await make().outbox.flush()).toMatchObject({ sent: 0, remaining: 0 });
		expect(at(path).map(({ key }) => key)).toEqual([write.key]);
	});

	it('its attempt meets a conflict (412): outbox:conflict, a dead letter at once (conflict), never sent again', async () => {
		const { api, path, write } = await queuedEarly();
		const retry = collect(api, 'outbox:retry');
		const conflict = collect(api, 'outbox:conflict');
		const dead = collect(api, 'outbox:dead');
		write.answer!(412);
		await until(() => dead.length + retry.length > 0);
		expect(retry).toEqual([]);
		expect(conflict).toMatchObject([{ status: 412, idempotencyKey: write.key }]);
		expect(await api.outbox.deadLetters()).toMatchObject([{ idempotencyKey: write.key, deadReason: 'conflict', lastError: { code: 'CONFLICT', status: 412 } }]);
		hang = false;
		clock.advance(3_600_000);
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, remaining: 0 });
		expect(at(path).map(({ key }) => key)).toEqual([write.key]);
	});

	it('its attempt meets a conflict (409 with a precondition): onConflict decides, as for a replay', async () => {
		const answers: number[] = [];
		const { api, path, write } = await queuedEarlyWith({ networkTimeoutMs: 40, onConflict: async ({ response }) => {
			answers.push(response.status);
			return 'discard' as const;
		} }, { headers: { 'if-match': '"v1"' } });
		const discarded = collect(api, 'outbox:discarded');
		write.answer!(409);
		await until(() => discarded.length > 0);
		expect(answers).toEqual([409]);
		expect(await api.outbox.list()).toEqual([]);
		expect(await api.outbox.deadLetters()).toEqual([]);
		hang = false;
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, remaining: 0 });
		expect(at(path)).toHaveLength(1);
	});

	it('queuedResponse accepted: the 202 answers at the deadline (counted queued)', async () => {
		store = memoryStore(`slow-outbox-${Math.random()}`);
		hang = true;
		const api = make({ networkTimeoutMs: 40, queuedResponse: 'accepted' });
		const response = await api.post(fresh().slice(1), { json: { item: 'tea' } });
		expect(response.status).toBe(202);
		expect(await response.json()).toMatchObject({ queued: true });
		expect(api.stats()[server.url]).toMatchObject({ queued: 1, successes: 1 });
	});

	it('two clients on one store: the other never replays the entry while its first attempt is in flight; after it failed, it does, with the same key', async () => {
		const { api, path, write } = await queuedEarly();
		const other = make();
		expect(await other.outbox.flush()).toMatchObject({ sent: 0, remaining: 1 });
		expect(at(path)).toHaveLength(1);
		const retry = collect(api, 'outbox:retry');
		write.answer!(503);
		await until(() => retry.length === 1);
		hang = false;
		expect(await other.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(at(path).map(({ key }) => key)).toEqual([write.key, write.key]);
	});

	it('two clients on one store: when the first attempt succeeds the other sends nothing (exactly one request)', async () => {
		const { api, path, write } = await queuedEarly();
		const other = make();
		expect(await other.outbox.flush()).toMatchObject({ sent: 0 });
		const sent = collect(api, 'outbox:sent');
		write.answer!(201);
		await until(() => sent.length === 1);
		expect(await other.outbox.flush()).toMatchObject({ sent: 0, remaining: 0 });
		expect(at(path)).toHaveLength(1);
	});

	it('a stored lease further ahead than the bound is cut to it: 60 000 ms after the entry was made (distrust of storage)', async () => {
		const { path, write } = await queuedEarly();
		const [key] = (await store.keys()).filter((each) => each.startsWith('p|'));
		const record = await store.get<Record<string, unknown>>(key!);
		await store.set(key!, { ...record, inFlightUntil: clock.now() + 86_400_000 });
		hang = false;
		const other = make();
		clock.advance(59_000);
		expect(await other.outbox.flush()).toMatchObject({ sent: 0, remaining: 1 });
		clock.advance(1_000);
		expect(await other.outbox.flush()).toMatchObject({ sent: 1 });
		expect(at(path).map(({ key: sent }) => sent)).toEqual([write.key, write.key]);
	});

	it('a client with a shorter totalTimeout (another tab, an extend()) honours the lease the attempting client set: no second POST while the first is in flight', async () => {
		const { api, path, write } = await queuedEarly();
		const [key] = (await store.keys()).filter((each) => each.startsWith('p|'));
		// Set by the client making the attempt: its totalTimeout (20 000 by default) from the call's start.
		expect((await store.get<{ inFlightUntil: number; createdAt: number }>(key!))!.inFlightUntil).toBe(clock.now() + 20_000); // The injected clock stands still: the call started now.
		hang = false;
		const short = make(undefined, { totalTimeout: 1000 });
		const extended = api.extend({ totalTimeout: 500 });
		clients.push(extended);
		clock.advance(5_000);
		expect(await short.outbox.flush()).toMatchObject({ sent: 0, remaining: 1 });
		expect(await extended.outbox.flush()).toMatchObject({ sent: 0, remaining: 1 });
		expect(at(path)).toHaveLength(1);
		const retry = collect(api, 'outbox:retry');
		write.answer!(503);
		await until(() => retry.length === 1);
		expect(await short.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(at(path).map(({ key: sent }) => sent)).toEqual([write.key, write.key]);
	});

	it('a client without totalTimeout leases its attempt for 60 000 ms, which every client honours', async () => {
		store = memoryStore(`slow-outbox-${Math.random()}`);
		hang = true;
		const api = make(undefined, { totalTimeout: false });
		const path = fresh();
		const error = await api.post(path.slice(1), { json: { item: 'tea' } }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(OutboxQueuedError);
		const [key] = (await store.keys()).filter((each) => each.startsWith('p|'));
		expect((await store.get<{ inFlightUntil: number }>(key!))!.inFlightUntil).toBe(clock.now() + 60_000);
		hang = false;
		clock.advance(59_999);
		expect(await make(undefined, { totalTimeout: 1000 }).outbox.flush()).toMatchObject({ sent: 0, remaining: 1 });
		expect(at(path)).toHaveLength(1);
	});

	describe('the world it started in (API.md "Work that outlives its caller")', () => {
		let who: string | undefined;
		/** Requests whose answer reached the client. */
		let answered = 0;
		/** A client whose identity is `who` and whose requests carry `who`'s token; ky retries a 503 of a POST twice. */
		const user = (): Client<{ outbox: OutboxPolicy }> => make(undefined, {
			identity: () => who,
			fetch: async (input: Parameters<typeof fetch>[0], init?: RequestInit) => fetch(input, init).finally(() => answered++),
			retry: { limit: 2, methods: ['post'], statusCodes: [503], delay: () => 0 },
			hooks: { beforeRequest: [({ request }) => {
				request.headers.set('authorization', `Bearer ${who ?? 'nobody'}`);
			}] },
		});
		/** Alice's write queued at its deadline, its first attempt held by the origin. */
		const alicesWrite = async () => {
			store = memoryStore(`slow-outbox-${Math.random()}`);
			hang = true;
			who = 'alice';
			const api = user();
			const path = fresh();
			const error = await api.post(path.slice(1), { json: { note: 'private' } }).catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(OutboxQueuedError);
			await until(() => at(path).length === 1);
			return { api, path, id: (error as OutboxQueuedError).entryId, write: at(path)[0]! };
		};

		/** After its attempt failed (503, ky's retries then due): nothing written back, nothing sent again, by any client of the name. */
		const nothingHandedOver = async (api: Client<{ outbox: OutboxPolicy }>, path: string, write: Seen): Promise<void> => {
			const retry = collect(api, 'outbox:retry');
			hang = false;
			const before = answered;
			write.answer!(503);
			// ky's retry (delay 0) is decided right after the 503 reached the client; then the run ends.
			await until(() => answered > before);
			await settle();
			expect(retry).toEqual([]);
			expect(await api.outbox.list()).toEqual([]);
			expect(await api.outbox.flush()).toMatchObject({ sent: 0, remaining: 0 });
			expect(await user().outbox.flush()).toMatchObject({ sent: 0, remaining: 0 });
			expect(at(path).map(({ auth }) => auth)).toEqual(['Bearer alice']);
		};

		afterEach(() => {
			who = undefined;
		});

		it('discard(id) while its first attempt is in flight: when that attempt fails, the entry is neither written back nor sent again', async () => {
			const { api, path, id, write } = await alicesWrite();
			await api.outbox.discard(id);
			await nothingHandedOver(api, path, write);
		});

		it('clear() at logout while its first attempt is in flight: nothing written back, and never sent with the next user\'s token', async () => {
			const { api, path, write } = await alicesWrite();
			await api.clear();
			who = 'bob';
			await nothingHandedOver(api, path, write);
		});

		it('clear({ identity }) of its own identity while its first attempt is in flight: the same', async () => {
			const { api, path, write } = await alicesWrite();
			await api.clear({ identity: 'alice' });
			await nothingHandedOver(api, path, write);
		});

		it('clear(), or discard(id), through another client of the name and store made apart (a second createClient, not extend()): the same', async () => {
			const cleared = await alicesWrite();
			await user().clear();
			who = 'bob';
			await nothingHandedOver(cleared.api, cleared.path, cleared.write);
			who = 'alice';
			const discarded = await alicesWrite();
			await user().outbox.discard(discarded.id);
			await nothingHandedOver(discarded.api, discarded.path, discarded.write);
		});

		it('an identity change (no clear) while its first attempt is in flight: no further attempt goes out under the new identity; the entry stays alice\'s', async () => {
			const { api, path, write } = await alicesWrite();
			who = 'bob';
			hang = false;
			const before = answered;
			write.answer!(503);
			await until(() => answered > before);
			await settle();
			expect(await api.outbox.flush()).toMatchObject({ sent: 0 });
			expect(at(path).map(({ auth }) => auth)).toEqual(['Bearer alice']);
			expect(await api.outbox.list()).toMatchObject([{ idempotencyKey: write.key, identity: expect.any(String) }]);
		});
	});

	it('discard(id) while its first attempt still waits for a bulkhead slot (told "queued" at the deadline): that attempt never goes out', async () => {
		store = memoryStore(`slow-outbox-${Math.random()}`);
		hang = true;
		const api = make(undefined, { bulkhead: bulkhead({ maxConcurrent: 1 }) });
		const busy = fresh();
		void api.get(busy.slice(1)).catch(() => undefined);
		await until(() => at(busy).length === 1);
		const path = fresh();
		const error = await api.post(path.slice(1), { json: { item: 'tea' } }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(OutboxQueuedError);
		await api.outbox.discard((error as OutboxQueuedError).entryId);
		hang = false;
		at(busy)[0]!.answer!(200); // the slot is free
		await settle();
		await until(async () => (await api.outbox.flush()).remaining === 0);
		expect(at(path)).toEqual([]);
	});

	it('networkTimeoutMs is false unless given (a write is queued only when it fails); a bad value is a RangeError naming it', () => {
		expect(resolveOutboxOptions({}).networkTimeoutMs).toBe(false);
		expect(() => outbox({ networkTimeoutMs: 0 })).toThrow(/outbox\.networkTimeoutMs/);
		expect(() => outbox({ networkTimeoutMs: 'soon' as never })).toThrow(RangeError);
	});
});
