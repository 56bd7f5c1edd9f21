/**
 * One Durable Object namespace of `BreakerCoordinator`, clients of two `name`s, in real workerd
 * (Miniflare; the build in dist/: `npm run build` first). API.md: "Processes share a scope's breaker
 * and throttle only when their clients have the same `name`." Three Workers (each its own isolate)
 * bound to the one namespace call one origin (one scope) with clients named by `?name=`.
 */
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { answerSource } from '../helpers/worker-answer.js';

const root = join(import.meta.dirname, '../..');
const isolates = 3;
let mf: Miniflare;
let server: RunningServer;
let failing = true;
let hits = 0;

/**
 * Each Worker: one client per isolate, part and name (module state), `?to=<url>&name=<name>&part=breaker|throttle`,
 * its breaker or adaptive throttle shared through env.FLEET (one namespace for every name).
 */
const workerSource = `
import { createClient } from 'steadfetch/core';
import { breaker } from 'steadfetch/breaker';
import { adaptiveThrottle } from 'steadfetch/throttle';
import { coordinator, BreakerCoordinator } from 'steadfetch/cloudflare';
export { BreakerCoordinator };
const clients = {};${answerSource}
export default {
	async fetch(request, env, ctx) {
		const url = new URL(request.url);
		const name = url.searchParams.get('name');
		const part = url.searchParams.get('part');
		const events = [];
		// random() = 0: the throttle refuses every attempt once its p > 0, so what it refuses is what it learnt.
		clients[part + name] ??= createClient({
			name, retry: 0, timeout: 5000, random: () => 0,
			...(part === 'breaker'
				? { breaker: breaker({ consecutiveFailures: 3, openMs: 60_000, sharedTimeoutMs: 2_000, shared: coordinator(env.FLEET) }) }
				: { breaker: false, adaptiveThrottle: adaptiveThrottle({ minRequests: 10, windowMs: 20_000, shared: coordinator(env.FLEET) }) }),
		});
		const api = clients[part + name].withContext(ctx);
		const stop = api.on('storage:error', (event) => events.push(event.part + ' ' + event.operation));
		return answer(api, url.searchParams.get('to'), events, stop);
	},
};`;

beforeAll(async () => {
	server = await serve(() => {
		hits++;
		return new Response(failing ? 'down' : 'ok', { status: failing ? 503 : 200 });
	});
	const bundle = await build({
		stdin: { contents: workerSource, resolveDir: root, loader: 'js' },
		bundle: true, write: false, format: 'esm', platform: 'neutral', conditions: ['workerd', 'worker', 'browser'], mainFields: ['module', 'main'], logLevel: 'error', external: ['cloudflare:*'],
	});
	const common = { modules: true, script: bundle.outputFiles[0]!.text, compatibilityDate: '2026-07-01' };
	mf = new Miniflare({
		workers: [
			{ ...common, name: 'coordinator', durableObjects: { FLEET: 'BreakerCoordinator' } },
			...Array.from({ length: isolates }, (_, index) => ({ ...common, name: `isolate-${index}`, durableObjects: { FLEET: { className: 'BreakerCoordinator', scriptName: 'coordinator' } } })),
		],
	});
	await mf.ready;
}, 60_000);

afterAll(async () => {
	await mf?.dispose();
	await server?.close();
});

const call = async (isolate: number, part: string, name: string): Promise<{ result: string; events: string[] }> => {
	const worker = await mf.getWorker(`isolate-${isolate}`) as unknown as { fetch(url: string): Promise<{ json(): Promise<unknown> }> };
	const response = await worker.fetch(`http://worker/?part=${part}&name=${name}&to=${encodeURIComponent(`${server.url}/${part}`)}`);
	return response.json() as Promise<{ result: string; events: string[] }>;
};

describe('a Durable Object namespace shared by clients of two names (workerd)', () => {
	it('the breaker: name "a"\'s fleet opens, another isolate of "a" fails fast; name "b"\'s stays closed and its calls go out', async () => {
		failing = true;
		hits = 0;
		const opening: string[] = [];
		for (let index = 0; index < 4; index++) {
			opening.push((await call(0, 'breaker', 'a')).result);
		}

		expect(opening).toEqual(['HTTP_503', 'HTTP_503', 'HTTP_503', 'CIRCUIT_OPEN']);
		expect(hits).toBe(3);
		// Another isolate of "a": its first call waits for the fleet's state (open), sending nothing.
		expect(await call(1, 'breaker', 'a')).toEqual({ result: 'CIRCUIT_OPEN', events: [] });
		expect(hits).toBe(3);
		// Name "b", on one namespace with "a": its own fleet, closed (before: "a"'s open state, CIRCUIT_OPEN).
		failing = false;
		expect(await call(1, 'breaker', 'b')).toEqual({ result: '200', events: [] });
		expect(await call(2, 'breaker', 'b')).toEqual({ result: '200', events: [] });
		expect(hits).toBe(5);
		expect((await call(2, 'breaker', 'a')).result).toBe('CIRCUIT_OPEN');
		expect(hits).toBe(5);
	}, 60_000);

	it('the throttle: name "a"\'s fleet counts its failures (another isolate of "a", under minRequests alone, is refused); name "b"\'s counts are its own and its calls go out', async () => {
		failing = true;
		// Isolate 0 of "a": 15 failures 200 ms apart (over minRequests 10), reported with its syncs (one
		// a second at most), then one more call past the sync interval, which reports the last ones.
		for (let index = 0; index < 15; index++) {
			await call(0, 'throttle', 'a');
			await new Promise((resolve) => setTimeout(resolve, 200));
		}

		await new Promise((resolve) => setTimeout(resolve, 1_100));
		await call(0, 'throttle', 'a');

		// Another isolate of each name: three calls 1.1 s apart (each past the sync interval), under minRequests alone.
		const results: Record<string, string[]> = { a: [], b: [] };
		for (let round = 0; round < 3; round++) {
			await new Promise((resolve) => setTimeout(resolve, 1_100));
			for (const name of ['a', 'b']) {
				const { result, events } = await call(name === 'a' ? 1 : 2, 'throttle', name);
				expect(events).toEqual([]); // the coordinator answered every sync
				results[name]!.push(result);
			}
		}

		// "a" learnt its fleet's window (16 failures): refused locally once it had the answer.
		expect(results['a']).toContain('THROTTLED');
		// "b" on the same namespace: only its own 3 attempts (before: "a"'s counts too, THROTTLED).
		expect(results['b']).toEqual(['HTTP_503', 'HTTP_503', 'HTTP_503']);
	}, 60_000);
});
