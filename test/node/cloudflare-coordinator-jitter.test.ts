/**
 * The fleet's open period on Durable Objects, in real workerd (Miniflare; the build in dist/: `npm run
 * build` first): jittered once where it is decided, by the random the isolate that opened it sent
 * (API.md "No herd on recovery"; "with a coordinator the open period is the fleet's, jittered once where
 * it is decided, never per process"). Two fleets (two Workers, each with its own Durable Object namespace
 * of `BreakerCoordinator`, its own isolate and client) open on one dead origin at the same moment.
 */
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../helpers/node-server.js';
import type { SyncAnswer } from '../../src/breaker/sync.js';

const root = join(import.meta.dirname, '../..');
const policy = { consecutiveFailures: 1, openMs: 10_000, maxOpenMs: 60_000, probeTimeoutMs: 10_000 };
let mf: Miniflare;
let server: RunningServer;
/** Answers 503 with a `Retry-After` of 400 digits (beyond what a double holds as ms: `Infinity`). */
let huge: RunningServer;

/**
 * Each Worker: `?to=<url>&random=<r>` calls `to` through its client (module state: one per isolate) whose
 * injected random is `r`, sharing its breaker through env.FLEET; `?read=<scope>` asks env.FLEET's object
 * of that scope (clients of the default name) for its state with a message that reports nothing (and carries no `jitter`, as an older
 * isolate's), and answers the coordinator's answer.
 */
const workerSource = `
import { createClient } from 'steadfetch/core';
import { breaker } from 'steadfetch/breaker';
import { coordinator, BreakerCoordinator } from 'steadfetch/cloudflare';
export { BreakerCoordinator };
const policy = ${JSON.stringify(policy)};
let client;
export default {
	async fetch(request, env, ctx) {
		const url = new URL(request.url);
		const read = url.searchParams.get('read');
		if (read) {
			// The object of the scope for clients of the default name: named by a SHA-256 of the name and the scope.
			const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(['steadfetch fleet', 'steadfetch', read])));
			const stub = env.FLEET.get(env.FLEET.idFromName([...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('')));
			return stub.fetch('https://steadfetch.coordinator/sync', { method: 'POST', body: JSON.stringify({ scope: read, message: { policy, outcomes: [] } }) });
		}

		const random = Number(url.searchParams.get('random'));
		client ??= createClient({ random: () => random, retry: 0, timeout: 5000, breaker: breaker({ ...policy, sharedTimeoutMs: 1000, shared: coordinator(env.FLEET) }) });
		try {
			const response = await client.withContext(ctx).get(url.searchParams.get('to'));
			return Response.json({ result: String(response.status) });
		} catch (error) {
			return Response.json({ result: error.code ?? (error.response ? 'HTTP_' + error.response.status : error.name) });
		}
	},
};`;

beforeAll(async () => {
	server = await serve(() => new Response('down', { status: 503 }));
	huge = await serve(() => new Response('down', { status: 503, headers: { 'retry-after': '9'.repeat(400) } }));
	const bundle = await build({
		stdin: { contents: workerSource, resolveDir: root, loader: 'js' },
		bundle: true, write: false, format: 'esm', platform: 'neutral', conditions: ['workerd', 'worker', 'browser'], mainFields: ['module', 'main'], logLevel: 'error', external: ['cloudflare:*'],
	});
	const common = { modules: true, script: bundle.outputFiles[0]!.text, compatibilityDate: '2026-07-01' };
	// Each fleet a Worker with its own Durable Object namespace (its script's BreakerCoordinator, bound as FLEET).
	mf = new Miniflare({ workers: ['A', 'B'].map((fleet) => ({ ...common, name: `fleet-${fleet}`, durableObjects: { FLEET: 'BreakerCoordinator' } })) });
	await mf.ready;
}, 60_000);

afterAll(async () => {
	await mf?.dispose();
	await server?.close();
	await huge?.close();
});

const worker = async (fleet: string): Promise<{ fetch(url: string): Promise<{ json(): Promise<unknown> }> }> => mf.getWorker(`fleet-${fleet}`) as never;

describe('the fleet\'s open period on Durable Objects (workerd)', () => {
	it('two fleets opened at the same moment with different randoms (0.1, 0.9): each period jittered once by the random its opener sent, so they reopen apart', async () => {
		const fleets = [['A', 0.1], ['B', 0.9]] as const;
		const results = await Promise.all(fleets.map(async ([fleet, random]) => (await worker(fleet)).fetch(`http://worker/?random=${random}&to=${encodeURIComponent(server.url)}`).then(async (response) => response.json())));
		expect(results).toEqual([{ result: 'HTTP_503' }, { result: 'HTTP_503' }]);
		// The failure's report is handed to the request's waitUntil: read each fleet's object until it is open.
		const records: SyncAnswer['record'][] = [];
		for (const [fleet] of fleets) {
			for (let tries = 0; ; tries++) {
				expect(tries).toBeLessThan(500);
				const { record } = await (await worker(fleet)).fetch(`http://worker/?read=${encodeURIComponent(server.url)}`).then(async (response) => response.json()) as SyncAnswer;
				if (record.state === 'open') {
					records.push(record);
					break;
				}

				await new Promise((resolve) => setTimeout(resolve, 10));
			}
		}

		// 10 000 ms × (0.8 + 0.4 × random): 8 400 and 11 600 (both 10 000 before: every fleet reopened at the same nominal time).
		expect(records.map(({ openedAt, reopensAt }) => Math.round(reopensAt - openedAt))).toEqual([8_400, 11_600]);
		expect(Math.abs(records[0]!.openedAt - records[1]!.openedAt)).toBeLessThan(2_000);
		expect(records[1]!.reopensAt - records[0]!.reopensAt).toBeGreaterThan(1_000);
	}, 60_000);

	it('a Retry-After too large for a number opens the fleet for maxOpenMs, as it opens an isolate (defect hunt, eighth round)', async () => {
		const fleet = await worker('A');
		expect(await fleet.fetch(`http://worker/?random=0.5&to=${encodeURIComponent(huge.url)}`).then(async (response) => response.json())).toEqual({ result: 'HTTP_503' });
		for (let tries = 0; ; tries++) {
			expect(tries).toBeLessThan(500);
			const { record } = await fleet.fetch(`http://worker/?read=${encodeURIComponent(huge.url)}`).then(async (response) => response.json()) as SyncAnswer;
			if (record.state === 'open') {
				// Before: 8 400 (the report's Infinity went as JSON's null: a plain failure, the jittered nominal period of fleet A's client).
				expect(record.reopensAt - record.openedAt).toBe(policy.maxOpenMs);
				break;
			}

			await new Promise((resolve) => setTimeout(resolve, 10));
		}
	}, 60_000);
});
