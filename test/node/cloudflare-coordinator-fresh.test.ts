/**
 * `BreakerCoordinator` in real workerd (Miniflare): concurrent syncs to a fresh Durable Object (never written) and to one
 * whose state is in memory. Each reports one failure (or one throttle attempt); the fleet must count every one (no sync
 * starting from the empty state over another's write, none started before another's write landed overwriting it).
 * Regression tests, fortieth hunt: they passed on the unchanged source (workerd's input gate holds the other syncs while
 * storage answers, and the object awaits nothing else between its read and its write); with a timer awaited before the
 * write they fail (`{ each: [1, 1], failures: 1 }` where `[1, 2], 2`).
 */
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
let mf: Miniflare;

/** `?n=<syncs>&name=<object>`: n concurrent syncs of one failure each to one object, then one that reads its count. */
const workerSource = `
import { BreakerCoordinator } from 'steadfetch/cloudflare';
export { BreakerCoordinator };
const policy = { consecutiveFailures: 1000, openMs: 1000, maxOpenMs: 1000, probeTimeoutMs: 1000 };
const scope = 'https://fresh.example';
export default {
	async fetch(request, env) {
		const url = new URL(request.url);
		const stub = env.FLEET.get(env.FLEET.idFromName(url.searchParams.get('name')));
		const sync = async (outcomes) => (await stub.fetch('https://steadfetch.coordinator/sync', { method: 'POST', body: JSON.stringify({ scope, message: { policy, outcomes } }) })).json();
		const n = Number(url.searchParams.get('n'));
		if (url.searchParams.has('throttle')) {
			const report = async (requests) => (await stub.fetch('https://steadfetch.coordinator/sync', { method: 'POST', body: JSON.stringify({ scope, message: { throttle: { windowMs: 60000, requests, accepts: 0 } } }) })).json();
			const answers = await Promise.all(Array.from({ length: n }, () => report(1)));
			return Response.json({ each: answers.map((answer) => answer.throttle.requests).sort((a, b) => a - b), requests: (await report(0)).throttle.requests });
		}

		const answers = await Promise.all(Array.from({ length: n }, () => sync([1])));
		const last = await sync([]);
		return Response.json({ each: answers.map((answer) => answer.record.failures ?? 0).sort((a, b) => a - b), failures: last.record.failures ?? 0 });
	},
};`;

beforeAll(async () => {
	const bundle = await build({
		stdin: { contents: workerSource, resolveDir: root, loader: 'js' },
		bundle: true, write: false, format: 'esm', platform: 'neutral', conditions: ['workerd', 'worker', 'browser'], mainFields: ['module', 'main'], logLevel: 'error', external: ['cloudflare:*'],
	});
	mf = new Miniflare({ modules: true, script: bundle.outputFiles[0]!.text, compatibilityDate: '2026-07-01', durableObjects: { FLEET: 'BreakerCoordinator' } });
	await mf.ready;
}, 60_000);

afterAll(async () => {
	await mf?.dispose();
});

const run = async (name: string, n: number): Promise<{ each: number[]; failures: number }> => (await mf.dispatchFetch(`https://worker.test/?n=${n}&name=${name}`)).json() as never;

describe('BreakerCoordinator: concurrent syncs each count', () => {
	it('two first syncs to a fresh object: both failures counted (2), each answered its own count', async () => {
		expect(await run('fresh-2', 2)).toEqual({ each: [1, 2], failures: 2 });
	});

	it('ten first syncs to a fresh object, then ten more to it warm: every failure counted', async () => {
		expect(await run('fresh-10', 10)).toEqual({ each: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], failures: 10 });
		expect((await run('fresh-10', 10)).failures).toBe(20);
	});

	it('the throttle\'s counts: ten first reports to a fresh object, one attempt each, sum to 10', async () => {
		const answered = (await (await mf.dispatchFetch('https://worker.test/?n=10&name=throttle-10&throttle')).json()) as { each: number[]; requests: number };
		expect(answered).toEqual({ each: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], requests: 10 });
	});
});
