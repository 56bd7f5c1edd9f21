/**
 * adaptiveThrottle({ shared: coordinator(env.STEADFETCH) }) in real workerd (Miniflare): four
 * Workers, each its own isolate with its own client, sharing the scope's Durable Object (the
 * breaker's `BreakerCoordinator`, its throttle counts under a key of their own) against an origin
 * that answers 503. Each isolate sends fewer attempts than `minRequests` alone: with the coordinator
 * they throttle together; without it none does; with a broken one each degrades to its own counts.
 */
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { answerSource } from '../helpers/worker-answer.js';

const root = join(import.meta.dirname, '../..');
const isolates = 4;
/** Calls per isolate: under minRequests (20) alone, whatever happens. */
const perIsolate = 19;
let mf: Miniflare;
let server: RunningServer;
let hits = 0;

/** Each Worker: one client per isolate and mode (module state), `?to=<url>&mode=shared|local|broken`. */
const workerSource = `
import { createClient } from 'steadfetch/core';
import { adaptiveThrottle } from 'steadfetch/throttle';
import { coordinator, BreakerCoordinator } from 'steadfetch/cloudflare';
export { BreakerCoordinator };
const clients = {};${answerSource}
const broken = { idFromName: (name) => name, get: () => ({ fetch: async () => { throw new Error('Durable Object unreachable'); } }) };
export default {
	async fetch(request, env, ctx) {
		const url = new URL(request.url);
		const mode = url.searchParams.get('mode');
		const events = [];
		// random() = 0: every attempt is refused once p > 0, so what is refused is what the isolate learnt.
		// windowMs 5 s: a sync at most every 500 ms per isolate and scope.
		clients[mode] ??= createClient({
			name: mode, retry: 0, random: () => 0,
			adaptiveThrottle: adaptiveThrottle({ minRequests: 20, windowMs: 5_000, ...(mode === 'local' ? {} : { shared: coordinator(mode === 'broken' ? broken : env.STEADFETCH) }) }),
		});
		const api = clients[mode].withContext(ctx);
		const stop = api.on('storage:error', (event) => events.push(event.part + ' ' + event.operation));
		return answer(api, url.searchParams.get('to'), events, stop);
	},
};`;

beforeAll(async () => {
	server = await serve(async () => {
		hits++;
		return new Response('overloaded', { status: 503 });
	});
	const bundle = await build({
		stdin: { contents: workerSource, resolveDir: root, loader: 'js' },
		bundle: true, write: false, format: 'esm', platform: 'neutral', conditions: ['workerd', 'worker', 'browser'], mainFields: ['module', 'main'], logLevel: 'error', external: ['cloudflare:*'],
	});
	const script = bundle.outputFiles[0]!.text;
	const common = { modules: true, script, compatibilityDate: '2026-07-01' };
	mf = new Miniflare({
		workers: [
			{ ...common, name: 'coordinator', durableObjects: { STEADFETCH: 'BreakerCoordinator' } },
			...Array.from({ length: isolates }, (_, index) => ({ ...common, name: `isolate-${index}`, durableObjects: { STEADFETCH: { className: 'BreakerCoordinator', scriptName: 'coordinator' } } })),
		],
	});
	await mf.ready;
}, 60_000);

afterAll(async () => {
	await mf?.dispose();
	await server?.close();
});

const call = async (isolate: number, mode: string): Promise<{ result: string; events: string[] }> => {
	const worker = await mf.getWorker(`isolate-${isolate}`) as unknown as { fetch(url: string): Promise<{ json(): Promise<unknown> }> };
	const response = await worker.fetch(`http://worker/?mode=${mode}&to=${encodeURIComponent(`${server.url}/${mode}`)}`);
	return response.json() as Promise<{ result: string; events: string[] }>;
};

/** Every isolate calls `perIsolate` times, 100 ms apart; what each call met, and requests that reached the origin. */
const storm = async (mode: string): Promise<{ results: string[]; events: string[]; reached: number }> => {
	hits = 0;
	const results: string[] = [];
	const events: string[] = [];
	await Promise.all(Array.from({ length: isolates }, async (_, isolate) => {
		for (let index = 0; index < perIsolate; index++) {
			const outcome = await call(isolate, mode);
			results.push(outcome.result);
			events.push(...outcome.events);
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
	}));
	return { results, events, reached: hits };
};

const count = (results: string[], what: string): number => results.filter((result) => result === what).length;

describe('adaptive throttle shared by isolates (workerd, Durable Objects)', () => {
	it('four isolates, each below minRequests alone, throttle the failing origin together; alone none does', async () => {
		const local = await storm('local');
		expect(count(local.results, 'HTTP_503')).toBe(isolates * perIsolate);
		expect(local.reached).toBe(isolates * perIsolate);
		const shared = await storm('shared');
		console.log(`[done-when] ${isolates} workerd isolates, ${perIsolate} calls each (minRequests 20) to an origin answering 503: per-isolate counts ${local.reached} requests reached it, through the coordinator ${shared.reached} (${count(shared.results, 'THROTTLED')} refused locally)`);
		expect(shared.events).toEqual([]); // the coordinator answered every sync
		expect(count(shared.results, 'THROTTLED')).toBeGreaterThan(0);
		expect(shared.reached).toBeLessThan(local.reached);
		// Refused only once the fleet's window held 20 attempts: at least 20 reached the origin first.
		expect(shared.reached).toBeGreaterThanOrEqual(20);
	}, 120_000);

	it('an unreachable coordinator: each isolate throttles on its own counts, storage:error once, no failed or stalled call', async () => {
		hits = 0;
		const results = [];
		for (let index = 0; index < 5; index++) {
			results.push(await call(0, 'broken'));
		}

		expect(results.map(({ result }) => result)).toEqual(Array(5).fill('HTTP_503'));
		expect(results.flatMap(({ events }) => events)).toEqual(['throttle shared']);
		expect(hits).toBe(5);
	}, 60_000);
});
