/**
 * The fault suite: thousands of mixed reads and writes from several users through the client,
 * against a seeded chaos server (503 bursts, 429 with Retry-After, hangs, resets mid-body, refused
 * connections, flapping). What must hold whatever happens:
 * - no unhandled rejection;
 * - every read is answered fresh, stale, or with a typed error;
 * - every write is applied exactly once server-side, or visible in the dead letters;
 * - retries stay within the retry budget;
 * - after recovery the breaker closes within one open period.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { classify, createClient, isStale, memoryStore, OutboxQueuedError, type Client, outbox, type OutboxPolicy } from '../../src/entries/index.js';
import { startChaosServer, type ChaosServer, type Segment } from '../helpers/chaos-server.js';
import { seededRandom } from '../helpers/manual-clock.js';
import { trace } from '../../src/entries/trace.js';
import { logger } from '../../src/entries/logger.js';

const seed = Number(process.env['FAULT_SEED'] ?? 7);
const script: Segment[] = [
	{ mode: 'ok', ms: 1_500 },
	{ mode: 'burst503', ms: 2_000 },
	{ mode: 'ok', ms: 1_000 },
	{ mode: 'retry429', ms: 1_500 },
	{ mode: 'hang', ms: 2_000 },
	{ mode: 'reset', ms: 2_000 },
	{ mode: 'down', ms: 2_000 },
	{ mode: 'flap', ms: 2_500 },
	{ mode: 'ok', ms: 4_000 },
];
const budget = { ratio: 0.1, minRetries: 10, windowMs: 10_000 };
const breaker = { consecutiveFailures: 5, openMs: 250, maxOpenMs: 1_000 };
const attemptTimeoutMs = 300;
const users = 12;

let chaos: ChaosServer;
let api: Client<{ outbox: OutboxPolicy }>;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
	process.on('unhandledRejection', onUnhandled);
	chaos = await startChaosServer(seed);
});

afterAll(async () => {
	process.off('unhandledRejection', onUnhandled);
	api?.close();
	await chaos?.close();
});

it(`survives the chaos script (seed ${seed}) with nothing lost, nothing doubled, and typed answers`, async () => {
	const random = seededRandom(seed);
	const log: string[] = [];
	api = createClient({
		baseUrl: chaos.url + '/',
		store: memoryStore,
		random,
		timeout: attemptTimeoutMs,
		retry: { limit: 2, delay: () => 20, backoffLimit: 100 },
		retryBudget: budget,
		breaker,
		outbox: outbox({ baseBackoffMs: 50, maxBackoffMs: 400, maxEntries: 5_000 }),
		// Credentials everywhere, and a logger: the log dump must hold none of them. One user: the
		// stale cache may keep credentialed answers (under a partition digest).
		staleCache: { shared: false },
		headers: { authorization: 'Bearer fault-secret-1', 'x-api-key': 'fault-secret-2' },
		sensitiveHeaders: ['x-api-key'],
		trace: trace(),
		logger: logger({ info: (record) => log.push(JSON.stringify(record)), warn: (record) => log.push(JSON.stringify(record)), error: (record) => log.push(JSON.stringify(record)) }),
	});
	const firstAttemptTimes: number[] = [];
	const retryTimes: number[] = [];
	let closedAt: number | undefined;
	let recoveryAt: number | undefined;
	/**
	 * The breaker's last opening before the close that recovery brings: when (performance.now()) and for how long. One
	 * after recovery began counts too: on a busy machine a call of the flapping (or a probe timed out at 300 ms by a late
	 * event loop) can fail after the mode switched, and its opening's period starts then.
	 */
	let lastOpen = { at: Number.NEGATIVE_INFINITY, periodMs: breaker.maxOpenMs };
	const started = performance.now();
	api.on('retry', () => retryTimes.push(performance.now()));
	api.on('breaker:open', (event) => {
		if (closedAt === undefined && event.reopensAt !== undefined) {
			lastOpen = { at: performance.now(), periodMs: event.reopensAt - event.time };
		}
	});
	api.on('breaker:closed', () => {
		if (recoveryAt !== undefined && closedAt === undefined) {
			closedAt = performance.now();
		}
	});

	const reads = { fresh: 0, stale: 0, typedError: 0, untyped: [] as unknown[] };
	const writes = new Map<string, 'acknowledged' | 'queued' | 'refused' | 'failed'>();
	const writeErrors: unknown[] = [];
	let running = true;
	let calls = 0;

	const user = async (id: number) => {
		let n = 0;
		while (running) {
			calls++;
			firstAttemptTimes.push(performance.now());
			if (random() < 0.6) {
				try {
					const response = await api.get(`items/${Math.floor(random() * 20)}`, random() < 0.1 ? { searchParams: { access_token: 'fault-secret-3' } } : {});
					await response.json();
					if (isStale(response)) {
						reads.stale++;
					} else {
						reads.fresh++;
					}
				} catch (error) {
					if (classify(error).code === 'UNKNOWN') {
						reads.untyped.push(error);
					} else {
						reads.typedError++;
					}
				}
			} else {
				const writeId = `u${id}-w${n++}`;
				try {
					await api.post('items', { json: { writeId }, idempotencyKey: `key-${writeId}` });
					writes.set(writeId, 'acknowledged');
				} catch (error) {
					if (error instanceof OutboxQueuedError) {
						writes.set(writeId, 'queued');
					} else if (classify(error).code === 'OUTBOX_FULL') {
						// Refused before any I/O and the caller was told: not a loss.
						writes.set(writeId, 'refused');
					} else {
						writes.set(writeId, 'failed');
						writeErrors.push(error);
					}
				}
			}

			await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(random() * 40)));
		}
	};

	const loops = Array.from({ length: users }, async (_, id) => user(id));
	await chaos.play(script, (segment, at) => {
		if (segment === script.at(-1)) {
			recoveryAt = started + at;
		}
	});
	// Several thousand calls: on a busy machine the script's 17 s hold fewer, so the users go on in
	// its last, healthy mode until they have made them (a condition waited for, not a throughput
	// floor; it still fails if calls stop completing).
	// 30 s was short at a load of 18 ('expected 1995 to be greater than 2000'): 90 s.
	const enough = performance.now() + 90_000;
	while (calls <= 2_000 && performance.now() < enough) {
		await new Promise((resolve) => setTimeout(resolve, 50));
	}

	running = false;
	await Promise.all(loops);

	// Recovery: the outbox delivers what it holds (bounded: 15 s left 190 entries pending at a load of 18, 'expected 190 to be +0').
	const deadline = performance.now() + 60_000;
	while (await api.outbox.size() > 0 && performance.now() < deadline) {
		await api.outbox.flush();
		await new Promise((resolve) => setTimeout(resolve, 50));
	}

	const deadKeys = new Set((await api.outbox.deadLetters()).map((entry) => entry.idempotencyKey));
	const pending = await api.outbox.size();

	// Several thousand calls went through the client.
	expect(calls).toBeGreaterThan(2_000);

	// Every read: fresh, stale, or a typed error.
	expect(reads.untyped).toEqual([]);
	expect(reads.fresh + reads.stale + reads.typedError).toBeGreaterThan(1_000);
	expect(reads.stale).toBeGreaterThan(0);

	// Every write applied exactly once, or a dead letter; never failed to the caller for a transient fault.
	expect(writeErrors.map((error) => classify(error).code)).toEqual([]);
	expect(pending).toBe(0);
	const lost = [...writes].filter(([writeId, outcome]) => outcome !== 'refused' && !chaos.stats.applied.has(writeId) && !deadKeys.has(`key-${writeId}`));
	const doubled = [...chaos.stats.applied].filter(([, count]) => count > 1);
	expect(lost).toEqual([]);
	expect(doubled).toEqual([]);
	expect(chaos.stats.deduped + chaos.stats.resets).toBeGreaterThan(0);

	// Retries within the budget: in every window, at most max(minRetries, ratio × first attempts).
	for (let from = started; from < performance.now(); from += budget.windowMs / 10) {
		const to = from + budget.windowMs;
		const firsts = firstAttemptTimes.filter((time) => time >= from && time < to).length;
		const retries = retryTimes.filter((time) => time >= from && time < to).length;
		// One bucket of slack: the budget's window slides in tenths.
		expect(retries).toBeLessThanOrEqual(Math.max(budget.minRetries, Math.floor(budget.ratio * firsts)) + budget.minRetries);
	}

	// After recovery the breaker closed within one open period (plus one attempt for the probe): from recovery, or from its
	// last opening if that came later (before, measured from recovery with the period of the opening before it: 250 ms
	// and a later opening's 1 000 ms could not fit).
	if (closedAt !== undefined) {
		const from = Math.max(recoveryAt!, lastOpen.at);
		console.log(`[measured] breaker closed ${Math.round(closedAt - from)} ms after ${from === recoveryAt ? 'recovery' : 'its last opening, after recovery'} (period ${Math.round(lastOpen.periodMs)} ms)`);
		expect(closedAt - from).toBeLessThanOrEqual(lastOpen.periodMs + attemptTimeoutMs + 150);
	} else {
		// It was already closed when recovery began (the flapping ended closed) and stayed so.
		expect(api.breaker(chaos.url).state).toBe('closed');
	}

	expect(api.breaker(chaos.url).state).toBe('closed');
	expect(unhandled).toEqual([]);
	// The log dump: one record per call at least, with request ids, and no credential.
	expect(log.filter((line) => line.includes('"event":"call"')).length).toBeGreaterThanOrEqual(calls); // replays are calls too
	expect(log.filter((line) => line.includes('"requestId"')).length).toBeGreaterThan(calls / 2);
	expect(log.filter((line) => line.includes('fault-secret'))).toEqual([]);
	console.log(`fault suite log: ${log.length} records, ${log.filter((line) => line.includes('"level":"error"')).length} errors, none with a credential`);
	console.log(`fault suite (seed ${seed}): ${calls} calls; reads ${reads.fresh} fresh, ${reads.stale} stale, ${reads.typedError} typed errors; writes ${writes.size} (${[...writes.values()].filter((v) => v === 'queued').length} queued, ${[...writes.values()].filter((v) => v === 'refused').length} refused as full), applied ${chaos.stats.applied.size}, deduped replays ${chaos.stats.deduped}, dead ${deadKeys.size}; server saw ${chaos.stats.requests} requests, ${retryTimes.length} retries`);
}, 240_000);

/**
 * Conflicts under chaos (issue 27): users read a document and write it back with `If-Match`, a
 * second writer changes documents during every outage. Whatever happens, each write is applied
 * exactly once, or reported as a conflict (a 412 to the caller, or `outbox:conflict` and then a dead
 * letter CONFLICT or, for half the writes, a rebase by `onConflict` on the current version), or
 * visible as another dead letter; no write is applied twice, and none reaches the origin without
 * its precondition (a silent overwrite).
 *
 * The origin tells each 412 apart by the versions the write missed: made by the second writer, by
 * another user, or by the same user (an edit queued on the version an earlier queued edit of theirs
 * was also based on: the user conflicts with themself). Only the first are the second writer's
 * changes detected; a control run without the second writer must show none of them.
 */
const docsRun = async (withSecondWriter: boolean) => {
	const random = seededRandom(seed + 1);
	const docsChaos = await startChaosServer(seed + 1);
	const rebased = new Set<string>();
	const client = createClient({
		baseUrl: docsChaos.url + '/',
		store: memoryStore,
		random,
		timeout: attemptTimeoutMs,
		retry: { limit: 1, delay: () => 20 },
		retryBudget: false,
		breaker,
		staleCache: false,
		outbox: outbox({
			baseBackoffMs: 50, maxBackoffMs: 400, maxEntries: 5_000,
			// Writes with an even number are rebased on the version the 412 names; the others become dead letters.
			onConflict: ({ entry, response }) => {
				if (Number(/^key-d\d+-w(\d+)$/.exec(entry.idempotencyKey)?.[1]) % 2 === 0) {
					rebased.add(entry.idempotencyKey);
					return { headers: { ...entry.headers, 'if-match': response.headers.get('etag')! } };
				}

				return 'dead';
			},
		}),
	});
	const script: Segment[] = [
		{ mode: 'ok', ms: 800 },
		{ mode: 'down', ms: 1_200 },
		{ mode: 'ok', ms: 800 },
		{ mode: 'burst503', ms: 1_200 },
		{ mode: 'reset', ms: 1_200 },
		{ mode: 'flap', ms: 1_500 },
		{ mode: 'ok', ms: 1_500 },
	];
	const writes = new Map<string, 'applied' | 'queued' | 'conflict' | 'refused' | 'failed' | 'unread'>();
	const failures: unknown[] = [];
	const conflicted = new Set<string>();
	client.on('outbox:conflict', (event) => conflicted.add(event.idempotencyKey));
	let running = true;
	const user = async (id: number) => {
		let n = 0;
		/** The version of each document this user last read: an offline app edits its local copy. */
		const known = new Map<number, string>();
		while (running) {
			const writeId = `d${id}-w${n++}`;
			const doc = Math.floor(random() * 6);
			try {
				known.set(doc, (await client.get(`docs/${doc}`)).headers.get('etag')!);
			} catch {
				// The read failed: the user edits the copy read before, if any.
			}

			const etag = known.get(doc);
			if (etag === undefined) {
				writes.set(writeId, 'unread');
			} else {
				try {
					await client.put(`docs/${doc}`, { json: { writeId }, headers: { 'If-Match': etag }, idempotencyKey: `key-${writeId}` });
					writes.set(writeId, 'applied');
				} catch (error) {
					const { code, status } = classify(error);
					const outcome = code === 'QUEUED' ? 'queued' : status === 412 ? 'conflict' : code === 'OUTBOX_FULL' ? 'refused' : 'failed';
					writes.set(writeId, outcome);
					if (outcome === 'failed') {
						failures.push(error);
					}
				}
			}

			await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(random() * 40)));
		}
	};

	// The second writer: during every outage, a change to a random document every 50–150 ms.
	const secondWriter = async () => {
		while (running) {
			if (withSecondWriter && docsChaos.mode !== 'ok') {
				docsChaos.bump(Math.floor(random() * 6));
			}

			await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(random() * 100)));
		}
	};

	try {
		const loops = [...Array.from({ length: 6 }, async (_, id) => user(id)), secondWriter()];
		await docsChaos.play(script);
		running = false;
		await Promise.all(loops);
		// Bounded: 15 s left 20 entries pending at a load of 18 ('expected 20 to be +0').
		const deadline = performance.now() + 60_000;
		while (await client.outbox.size() > 0 && performance.now() < deadline) {
			await client.outbox.flush();
			await new Promise((resolve) => setTimeout(resolve, 50));
		}

		const dead = await client.outbox.deadLetters();
		const deadKeys = new Map(dead.map((entry) => [entry.idempotencyKey, entry.lastError?.code]));
		const made = [...writes].filter(([, outcome]) => outcome !== 'unread' && outcome !== 'refused');
		// A rebased write has a new Idempotency-Key: applied, or a dead letter under that key.
		const rebasedLost = [...rebased].filter((key) => !docsChaos.stats.docWrites.has(key.slice(4)));
		const lost = made.filter(([writeId, outcome]) => outcome !== 'conflict' && !docsChaos.stats.docWrites.has(writeId) && !deadKeys.has(`key-${writeId}`) && !rebased.has(`key-${writeId}`));
		const twice = [...docsChaos.stats.docWrites].filter(([, count]) => count > 1);
		const conflictLetters = dead.filter((entry) => entry.lastError?.code === 'CONFLICT');
		const { conflictsBy } = docsChaos.stats;
		const figures = {
			writes: made.length, queued: made.filter(([, outcome]) => outcome === 'queued').length, bumps: docsChaos.stats.bumps,
			conflicts: docsChaos.stats.conflicts, bySecondWriter: conflictsBy.second, byOtherUsers: conflictsBy.other, selfConflicts: conflictsBy.self,
			onReplay: conflicted.size, deadConflict: conflictLetters.length, rebased: rebased.size,
			applied: docsChaos.stats.docWrites.size, lost: lost.length, twice: twice.length, silentOverwrites: docsChaos.stats.blind,
			otherDead: dead.length - conflictLetters.length, pending: await client.outbox.size(),
		};
		console.log(`fault suite, conflicts (seed ${seed}, second writer ${withSecondWriter ? 'on' : 'off (control)'}): ${figures.writes} writes (${figures.queued} queued), second writer changed ${figures.bumps} times; 412s at the origin ${figures.conflicts}: ${figures.bySecondWriter} caused by the second writer, ${figures.byOtherUsers} by another user's write, ${figures.selfConflicts} self-conflicts (a user's queued edits on one version); ${figures.onReplay} met on replay (${figures.deadConflict} dead letters CONFLICT, ${figures.rebased} rebased); writes applied ${figures.applied}, lost ${figures.lost}, applied twice ${figures.twice}, silent overwrites ${figures.silentOverwrites}, other dead letters ${figures.otherDead}`);
		expect(figures.pending).toBe(0);
		expect(failures.map((error) => classify(error).code)).toEqual([]);
		expect(lost).toEqual([]);
		expect(rebasedLost.length).toBe(dead.filter((entry) => !entry.idempotencyKey.startsWith('key-')).length);
		expect(twice).toEqual([]);
		expect(docsChaos.stats.blind).toBe(0);
		expect(conflictsBy.second + conflictsBy.other + conflictsBy.self).toBe(docsChaos.stats.conflicts);
		// Every conflict met on replay ended as a dead letter CONFLICT or a rebased write: none vanished.
		for (const key of conflicted) {
			expect(rebased.has(key) || conflictLetters.some((entry) => entry.idempotencyKey === key), key).toBe(true);
		}

		expect(unhandled).toEqual([]);
		return figures;
	} finally {
		running = false;
		client.close();
		await docsChaos.close();
	}
};

it(`a second writer during outages (seed ${seed}): its changes are detected as conflicts, no write lost, applied twice or silently overwriting`, async () => {
	const figures = await docsRun(true);
	expect(figures.bumps).toBeGreaterThan(0);
	expect(figures.bySecondWriter).toBeGreaterThan(0); // the second writer's changes met, not overwritten
	expect(figures.onReplay).toBeGreaterThan(0);
	expect(figures.rebased).toBeGreaterThan(0);
}, 240_000);

it(`the control run without a second writer (seed ${seed}): no 412 is put on the second writer (the rest are the users' concurrent edits)`, async () => {
	const figures = await docsRun(false);
	expect(figures.bumps).toBe(0);
	expect(figures.bySecondWriter).toBe(0);
}, 240_000);
