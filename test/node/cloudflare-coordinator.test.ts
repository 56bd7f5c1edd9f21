/**
 * breaker({ shared: coordinator(env.STEADFETCH) }) in real workerd (Miniflare): four Workers, each
 * its own isolate with its own client, sharing one Durable Object per scope, against a dead
 * loopback origin — with and without the coordinator, side by side.
 */
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { answerSource } from '../helpers/worker-answer.js';
import { waitFor } from '../helpers/wait-for.js';

const root = join(import.meta.dirname, '../..');
const isolates = 4;
let mf: Miniflare;
let server: RunningServer;
let failing = true;
let slowMs = 0;
/** The origin holds a good answer this long (a probe that takes its time). */
let holdMs = 0;
let hits = 0;

/**
 * Each Worker: one client per isolate (module state), `?to=<url>&mode=shared|local|broken|slow`.
 * `slow`: the coordinator answers 300 ms late (a Durable Object in another location), and the
 * client waits its default 100 ms (\`sharedTimeoutMs\`).
 */
const workerSource = `
import { createClient } from 'steadfetch/core';
import { breaker } from 'steadfetch/breaker';
import { coordinator, BreakerCoordinator } from 'steadfetch/cloudflare';
export { BreakerCoordinator };
// The syncs the slow objects were sent, and those not answered yet (\`?syncs\` of the coordinator Worker: its objects' isolate).
const slow = { syncs: 0, pending: 0 };
export class SlowCoordinator extends BreakerCoordinator {
	async fetch(request) {
		slow.syncs++;
		slow.pending++;
		try {
			const response = await super.fetch(request);
			await new Promise((resolve) => setTimeout(resolve, 300));
			return response;
		} finally {
			slow.pending--;
		}
	}
}
// sharedTimeoutMs 1 s: on a loaded CI machine a Durable Object round trip through
// Miniflare can take longer than the default (100 ms), and the probe test asserts the coordinator answered.
const clients = {};${answerSource}
const broken = { idFromName: (name) => name, get: () => ({ fetch: async () => { throw new Error('Durable Object unreachable'); } }) };
export default {
	async fetch(request, env, ctx) {
		const url = new URL(request.url);
		if (url.searchParams.has('syncs')) {
			return Response.json(slow);
		}

		const mode = url.searchParams.get('mode');
		const events = [];
		clients[mode] ??= createClient({
			name: mode, retry: 0, timeout: 5000, // each mode its own persisted state (the Cache API store)
			breaker: breaker(mode === 'slow' || mode === 'fleet' || mode.startsWith('bare') ? { consecutiveFailures: 3, openMs: 1000, maxOpenMs: 1000, shared: coordinator(mode === 'fleet' ? env.FLEET : env.SLOW) }
				: { consecutiveFailures: 3, openMs: 1500, maxOpenMs: 3000, sharedTimeoutMs: 1000, ...(mode === 'local' ? {} : { shared: coordinator(mode === 'broken' ? broken : env.STEADFETCH) }) }),
		});
		// Each request hands the client its waitUntil: the state written and the failures reported behind
		// a call outlive the response (without it, workerd would cancel them: dropped, storage:error).
		// \`bare\` (\`bare-<n>\`, a client each): the client as the module made it, no waitUntil given (the coordinator's own holds its work).
		const api = mode.startsWith('bare') ? clients[mode] : clients[mode].withContext(ctx);
		const stop = api.on('storage:error', (event) => events.push(event.operation));
		return answer(api, url.searchParams.get('to'), events, stop);
	},
};`;

beforeAll(async () => {
	server = await serve(async () => {
		hits++;
		if (slowMs > 0) {
			await new Promise((resolve) => setTimeout(resolve, slowMs));
		}

		if (holdMs > 0 && !failing) {
			await new Promise((resolve) => setTimeout(resolve, holdMs));
		}

		return new Response(failing ? 'down' : 'ok', { status: failing ? 503 : 200 });
	});
	const bundle = await build({
		stdin: { contents: workerSource, resolveDir: root, loader: 'js' },
		bundle: true, write: false, format: 'esm', platform: 'neutral', conditions: ['workerd', 'worker', 'browser'], mainFields: ['module', 'main'], logLevel: 'error', external: ['cloudflare:*'],
	});
	const script = bundle.outputFiles[0]!.text;
	const common = { modules: true, script, compatibilityDate: '2026-07-01' };
	mf = new Miniflare({
		workers: [
			{ ...common, name: 'coordinator', durableObjects: { STEADFETCH: 'BreakerCoordinator', SLOW: 'SlowCoordinator', FLEET: 'SlowCoordinator' } },
			...Array.from({ length: isolates }, (_, index) => ({
				...common, name: `isolate-${index}`,
				durableObjects: { STEADFETCH: { className: 'BreakerCoordinator', scriptName: 'coordinator' }, SLOW: { className: 'SlowCoordinator', scriptName: 'coordinator' }, FLEET: { className: 'SlowCoordinator', scriptName: 'coordinator' } },
			})),
		],
	});
	await mf.ready;
}, 60_000);

afterAll(async () => {
	await mf?.dispose();
	await server?.close();
});

const call = async (isolate: number, mode: string, path = '/x'): Promise<{ result: string; events: string[] }> => {
	const worker = await mf.getWorker(`isolate-${isolate}`) as unknown as { fetch(url: string): Promise<{ json(): Promise<unknown> }> };
	const response = await worker.fetch(`http://worker/?mode=${mode}&to=${encodeURIComponent(server.url + path)}`);
	return response.json() as Promise<{ result: string; events: string[] }>;
};

/** Every isolate calls the dead origin every 100 ms for `ms`; returns how many requests reached it. */
const storm = async (mode: string, ms: number): Promise<number> => {
	hits = 0;
	const started = Date.now();
	const until = started + ms;
	const log: string[] = [];
	await Promise.all(Array.from({ length: isolates }, async (_, isolate) => {
		while (Date.now() < until) {
			const { result, events } = await call(isolate, mode, `/${mode}`);
			log.push(`${Date.now() - started} ms isolate ${isolate}: ${result} ${events.join()}`);
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
	}));
	if (process.env['DEBUG_STORM']) {
		console.log(log.join('\n'));
	}

	return hits;
};

describe('shared breaker on Durable Objects (workerd)', () => {
	it('a dead origin: far fewer requests reach it across isolates with the coordinator, and exactly one probe goes out', async () => {
		failing = true;
		const local = await storm('local', 10_000);
		const shared = await storm('shared', 10_000);
		console.log(`[done-when] requests reaching a dead origin in the first 10 s from ${isolates} isolates (each calling every 100 ms; 3 failures open it for 1.5 s, doubling up to 3 s, then a probe): per-isolate breakers ${local}, shared coordinator ${shared}`);
		// Per isolate: 3 to open each, and a probe per isolate each time the open period ends.
		expect(local).toBeGreaterThanOrEqual(isolates * 3);
		expect(shared).toBeLessThan(local);

		// After an open period, all isolates at once: one probe in the world reaches the origin. The
		// origin holds its good answer 3 s, so the four calls meet the probe in flight however far apart
		// a busy machine dispatches them (a probe answered at once would close the breaker before a late
		// call arrives, and that call would rightly go out: CI saw 4 requests so).
		await new Promise((resolve) => setTimeout(resolve, 3_500)); // past the open period (maxOpenMs 3 s)
		failing = false;
		holdMs = 3_000;
		hits = 0;
		const results = await Promise.all(Array.from({ length: isolates }, async (_, isolate) => call(isolate, 'shared', '/probe')));
		holdMs = 0;
		expect(results.map(({ result }) => result).sort()).toEqual(['200', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN']);
		expect(hits).toBe(1);
		expect(results.flatMap(({ events }) => events)).toEqual([]); // the coordinator answered every time
	}, 60_000);

	it('a slow coordinator (each answer 300 ms late, the clients waiting their default 100 ms): after the open period, 12 calls at once across the isolates send exactly one request (the probe, held 3 s), 5 runs in a row', async () => {
		const runs: number[] = [];
		for (let run = 0; run < 5; run++) {
			failing = true;
			holdMs = 0;
			// Open it, and let every isolate learn so (its own calls fail fast).
			for (let isolate = 0; isolate < isolates; isolate++) {
				for (let tries = 0; (await call(isolate, 'slow', '/slow')).result !== 'CIRCUIT_OPEN'; tries++) {
					expect(tries).toBeLessThan(30);
				}
			}

			await new Promise((resolve) => setTimeout(resolve, 1_300)); // past the open period (1 s)
			failing = false;
			holdMs = 3_000;
			hits = 0;
			const results = await Promise.all(Array.from({ length: 12 }, async (_, index) => call(index % isolates, 'slow', '/slow')));
			runs.push(hits);
			expect(results.map(({ result }) => result).sort()).toEqual(['200', ...Array.from({ length: 11 }, () => 'CIRCUIT_OPEN')]);
		}

		holdMs = 0;
		console.log(`[measured] requests reaching the origin after the open period, 12 calls at once from ${isolates} isolates, coordinator 300 ms late, 5 runs: ${runs.join(', ')}`);
		expect(runs).toEqual([1, 1, 1, 1, 1]);
	}, 120_000);

	it('isolates that each counted one of the failures that opened the fleet\'s breaker (their adopted "closed" older than sharedCacheMs when it is due, the coordinator 300 ms late, the default 100 ms sharedTimeoutMs): exactly one probe, 5 runs in a row', async () => {
		const runs: number[] = [];
		for (let run = 0; run < 5; run++) {
			failing = true;
			holdMs = 0;
			// One failure in each of three isolates opens the fleet's breaker (3 in a row); each of the
			// first two adopted "closed" (with the fleet's count) when its failure was reported.
			for (let isolate = 0; isolate < 3; isolate++) {
				for (let tries = 0; (await call(isolate, 'fleet', '/fleet')).result !== 'HTTP_503'; tries++) {
					expect(tries).toBeLessThan(30); // a previous run's close not known yet
				}
			}

			await new Promise((resolve) => setTimeout(resolve, 1_300)); // past the open period (1 s), past sharedCacheMs
			failing = false;
			holdMs = 3_000;
			hits = 0;
			const results = await Promise.all(Array.from({ length: 12 }, async (_, index) => call(index % isolates, 'fleet', '/fleet')));
			runs.push(hits);
			expect(results.map(({ result }) => result).sort()).toEqual(['200', ...Array.from({ length: 11 }, () => 'CIRCUIT_OPEN')]);
		}

		holdMs = 0;
		console.log(`[measured] requests reaching the origin when the fleet's breaker is due, 12 calls at once from ${isolates} isolates of which 3 each counted one opening failure, coordinator 300 ms late, 5 runs: ${runs.join(', ')}`);
		expect(runs).toEqual([1, 1, 1, 1, 1]);
	}, 120_000);

	it('without a waitUntil of the call\'s, a sync the call did not wait for to the end is held by the request (cloudflare:workers): not cancelled with the response, so it does not leave the isolate syncing (and waiting) on every call', async () => {
		const coordinatorWorker = await mf.getWorker('coordinator') as unknown as { fetch(url: string): Promise<{ json(): Promise<unknown> }> };
		const slow = async (): Promise<{ syncs: number; pending: number }> => (await coordinatorWorker.fetch('http://worker/?syncs')).json() as Promise<{ syncs: number; pending: number }>;
		// The third call is held to the bound only when it reached the isolate within sharedCacheMs (1 s) of the
		// second's sync (else it syncs, as it should): on a loaded machine a run may take longer; at most 3 runs.
		const runs: string[] = [];
		for (let run = 0; run < 3 && !runs.includes('held'); run++) {
			const mode = `bare-${run}`;
			failing = false;
			expect((await call(2, mode, '/bare')).result).toBe('200'); // its first call waits for the coordinator (300 ms late): a clean closed state
			await new Promise((resolve) => setTimeout(resolve, 1_100)); // past sharedCacheMs
			const synced = performance.now();
			const before = (await slow()).syncs;
			// A sync the call waits 100 ms for (clean): the call answers before the coordinator does. Before,
			// workerd cancelled the sync with the response, and the isolate counted it in flight for good.
			expect((await call(2, mode, '/bare')).result).toBe('200');
			failing = true;
			expect((await call(2, mode, '/bare')).result).toBe('HTTP_503'); // not clean any more
			// The held sync and the failure's report answered: none in flight.
			await waitFor(async () => {
				const { syncs, pending } = await slow();
				return pending === 0 && syncs >= before + 2;
			}, 'the held sync and the report answered');
			failing = false;
			const sent = (await slow()).syncs;
			expect((await call(2, mode, '/bare')).result).toBe('200');
			const syncs = (await slow()).syncs - sent;
			runs.push(performance.now() - synced < 950 ? 'held' : `late (${syncs} sent)`);
			if (runs.at(-1) === 'held') {
				// Within sharedCacheMs, no sync in flight: the call goes at once, the coordinator not asked (before: a
				// sync of its own, waited for, 300 ms).
				expect(syncs).toBe(0);
			}
		}

		expect(runs).toContain('held');
	}, 60_000);

	it('an unreachable coordinator: each isolate breaks on its own, storage:error, no failed or stalled call', async () => {
		failing = true;
		hits = 0;
		const results = [];
		for (let index = 0; index < 5; index++) {
			results.push(await call(0, 'broken', '/broken'));
		}

		expect(results.map(({ result }) => result)).toEqual(['HTTP_503', 'HTTP_503', 'HTTP_503', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN']);
		expect(results[0]!.events).toEqual(['shared']);
		expect(hits).toBe(3);
	}, 30_000);

	it('[measured] happy path: the coordinated breaker next to the per-isolate one, one run', async () => {
		failing = false;
		slowMs = 0;
		const time = async (mode: string): Promise<number> => {
			const started = performance.now();
			for (let index = 0; index < 50; index++) {
				await call(1, mode, '/fast');
			}

			return (performance.now() - started) / 50;
		};

		await time('local');
		await time('shared'); // warm both
		const rounds: Record<string, number[]> = { local: [], shared: [] };
		for (let round = 0; round < 6; round++) {
			for (const mode of round % 2 === 0 ? ['local', 'shared'] : ['shared', 'local']) {
				rounds[mode]!.push(await time(mode));
			}
		}

		const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
		const [local, shared] = [median(rounds['local']!), median(rounds['shared']!)];
		console.log(`[measured] happy path through workerd, ms per call (Miniflare dispatch included), median of 6 alternating rounds of 50: per-isolate ${local.toFixed(2)}, shared ${shared.toFixed(2)} (${(shared / local).toFixed(2)}×)`);
		expect(shared).toBeGreaterThan(0);
	}, 60_000);
});
