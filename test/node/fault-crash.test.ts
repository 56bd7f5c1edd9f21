/**
 * Fault suite, real Chromium: a page closed at random points of a drain (20 seeded runs) loses no
 * entry and has none applied twice; several pages drain with a single drainer.
 *
 * Each run: a page queues mutations while the API refuses connections (they persist in IndexedDB),
 * the API comes back slow, the page starts draining and is closed at a seeded random moment; a new
 * page of the same profile starts the client again and must deliver the rest. The server applies
 * mutations deduped on Idempotency-Key and records their order.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium, openPage, startPageServer, type Chromium, type PageServer } from '../helpers/pages.js';
import { seededRandom } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { createHandler, createState } from '../helpers/server-handler.js';

const runs = 20;
const perRun = 12;
const seed = Number(process.env['FAULT_SEED'] ?? 11);

let chromium: Chromium;
let pages: PageServer;
let api: RunningServer | undefined;
let port = 0;
let delayMs = 0;
const state = createState();
const handler = createHandler(state);
let requests = 0;
const slow = async (request: Request) => {
	if (request.method !== 'OPTIONS') {
		requests++;
	}

	if (delayMs > 0 && request.method !== 'OPTIONS') {
		await new Promise((resolve) => setTimeout(resolve, delayMs));
	}

	return handler(request);
};

const up = async () => {
	api ??= await serve(slow, port);
	port = Number(new URL(api.url).port);
};

const down = async () => {
	await api?.close();
	api = undefined;
};

beforeAll(async () => {
	[chromium, pages] = await Promise.all([launchChromium(), startPageServer()]);
	await up();
});

afterAll(async () => {
	await Promise.all([chromium?.close(), pages?.close(), api?.close()]);
});

/**
 * In the page: a client of `name` with the outbox on, draining to the API; `timeout`: each attempt's, in ms (2 s for
 * the crash runs, whose resends the server dedupes).
 */
const setup = `(async ({ base, name, timeout = 2000 }) => {
	const { createClient, outbox } = globalThis.steadfetch;
	globalThis.client?.close();
	globalThis.client = createClient({ baseUrl: base + '/', name, retry: 0, timeout, breaker: false, outbox: outbox({ baseBackoffMs: 20, maxBackoffMs: 100 }) });
})`;

const drainUntilEmpty = async (page: import('playwright').Page) => page.evaluate(async () => {
	const { client } = globalThis as unknown as { client: import('../../src/entries/index.js').Client<{ outbox: import('../../src/entries/index.js').OutboxPolicy }> };
	const deadline = performance.now() + 20_000;
	while (await client.outbox.size() > 0 && performance.now() < deadline) {
		await client.outbox.flush();
		await new Promise((resolve) => setTimeout(resolve, 25));
	}

	return { size: await client.outbox.size(), dead: (await client.outbox.deadLetters()).length };
});

it(`a page closed at ${runs} seeded random points of a drain loses nothing and applies nothing twice (seed ${seed})`, async () => {
	const random = seededRandom(seed);
	const report: string[] = [];
	for (let run = 0; run < runs; run++) {
		const id = `crash-${seed}-${run}`;
		const base = `${api?.url ?? `http://127.0.0.1:${port}`}`;
		const context = await chromium.context();
		const first = await openPage(context, pages);
		await first.evaluate(`${setup}(${JSON.stringify({ base, name: id })})`);

		// Offline: the API refuses connections; every mutation is queued and persisted.
		await down();
		const queued = await first.evaluate(async ({ id, perRun }) => {
			const { client } = globalThis as unknown as { client: import('../../src/entries/index.js').Client<{ outbox: import('../../src/entries/index.js').OutboxPolicy }> };
			let count = 0;
			for (let n = 0; n < perRun; n++) {
				await client.post(`mutate?id=${id}`, { json: { n } }).catch((error: { code?: string }) => {
					if (error.code === 'QUEUED') {
						count++;
					}
				});
			}

			return count;
		}, { id, perRun });
		expect(queued).toBe(perRun);

		// Back, but slow; drain, and close the page at a random moment of the drain.
		delayMs = 15;
		await up();
		const closeAfter = Math.floor(random() * perRun * delayMs * 1.5);
		void first.evaluate(async () => {
			const { client } = globalThis as unknown as { client: import('../../src/entries/index.js').Client<{ outbox: import('../../src/entries/index.js').OutboxPolicy }> };
			await client.outbox.flush();
		}).catch(() => undefined);
		await new Promise((resolve) => setTimeout(resolve, closeAfter));
		await first.close({ runBeforeUnload: false });
		const appliedAtCrash = state.applied.get(id)?.length ?? 0;

		// Next start, in a new page of the same profile: the rest is delivered.
		delayMs = 0;
		const second = await openPage(context, pages).catch((error: unknown) => {
			throw new Error(`run ${run}: the page after the crash did not load: ${String(error)}`);
		});
		await second.evaluate(`${setup}(${JSON.stringify({ base, name: id })})`);
		const after = await drainUntilEmpty(second);
		await context.close();

		const applied = state.applied.get(id) ?? [];
		const ns = applied.map((entry) => (JSON.parse(entry.body) as { n: number }).n);
		expect(after, id).toEqual({ size: 0, dead: 0 });
		expect(ns, `${id}: each applied once, in order`).toEqual(Array.from({ length: perRun }, (_, n) => n));
		expect(new Set(applied.map((entry) => entry.key)).size, id).toBe(perRun);
		report.push(`${closeAfter}ms:${appliedAtCrash}+${perRun - appliedAtCrash}${state.duplicates.get(id) ? ` (${state.duplicates.get(id)} deduped)` : ''}`);
	}

	console.log(`crash runs (close time: applied before + after the crash): ${report.join(', ')}`);
	// 20 runs of two pages each: about 30 s alone, 91 s at a load average of 15 on two cores (seed 11 once went past a bound of
	// 120 s under load): a hang still fails, later.
}, 300_000);

it('three pages online at once: a single drainer, no entry sent twice', async () => {
	const id = `tabs-${seed}`;
	const base = api!.url;
	// Each attempt may take as long as the test: a timed-out attempt is resent with its key (the contract's at least once,
	// deduped by the server), which is not what this test counts. A busy machine (load 9–18) once took one of these
	// replays past a 2 s timeout ('expected 1 to be 0': one resend, deduped, applied once); only a second drainer sends twice now.
	const timeout = 60_000;
	const context = await chromium.context();
	const tabs = await Promise.all([0, 1, 2].map(async () => openPage(context, pages)));
	await down();
	await tabs[0]!.evaluate(`${setup}(${JSON.stringify({ base, name: id, timeout })})`);
	await tabs[0]!.evaluate(async ({ id }) => {
		const { client } = globalThis as unknown as { client: import('../../src/entries/index.js').Client<{ outbox: import('../../src/entries/index.js').OutboxPolicy }> };
		for (let n = 0; n < 30; n++) {
			await client.post(`mutate?id=${id}`, { json: { n } }).catch(() => undefined);
		}

		// Closed while the API is still down, so no replay of this client is in flight when it comes
		// back (a client closed mid-drain is a crash: its entry is resent, deduped by its key).
		client.close();
	}, { id });
	delayMs = 5;
	await up();
	const before = requests;
	// All three start a client (a start triggers a drain) and flush at the same time.
	await Promise.all(tabs.map(async (tab) => tab.evaluate(`${setup}(${JSON.stringify({ base, name: id, timeout })})`)));
	await Promise.all(tabs.map(async (tab) => drainUntilEmpty(tab)));
	delayMs = 0;
	await context.close();
	const applied = state.applied.get(id) ?? [];
	expect(applied.map((entry) => (JSON.parse(entry.body) as { n: number }).n)).toEqual(Array.from({ length: 30 }, (_, n) => n));
	expect(state.duplicates.get(id) ?? 0).toBe(0);
	expect(requests - before).toBe(30);
}, 60_000);
