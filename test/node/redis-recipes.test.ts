/**
 * The README's Redis recipes (examples/redis/), run as printed against a real Redis (started here)
 * and a loopback origin that answers 503: the edge function bundled as Vercel bundles it (the
 * `edge-light` condition) with `@upstash/redis` reaching Redis through a loopback bridge that speaks
 * Upstash's REST protocol, and the Node server run as two processes sharing Redis through ioredis.
 * Needs `npm run build` (the recipes import the built package).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { startRedis, type RunningRedis } from '../helpers/redis-server.js';
import { upstashBridge, type UpstashBridge } from '../helpers/upstash-bridge.js';

const root = join(import.meta.dirname, '../..');
const dir = join(root, 'test-results/redis-recipes');
const token = 'upstash-test-token';
let redis: RunningRedis;
let bridge: UpstashBridge;
let origin: RunningServer;
let hits = 0;
let status = 503;

const freePort = async (): Promise<number> => new Promise((resolve) => {
	const server = createServer();
	server.listen(0, '127.0.0.1', () => {
		const { port } = server.address() as { port: number };
		server.close(() => resolve(port));
	});
});

const until = async (what: string, ready: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> => {
	const started = Date.now();
	while (!await ready()) {
		if (Date.now() - started > timeoutMs) {
			throw new Error(`Timed out waiting for ${what}`);
		}

		await new Promise((resolve) => setTimeout(resolve, 20));
	}
};

beforeAll(async () => {
	mkdirSync(dir, { recursive: true });
	redis = await startRedis();
	bridge = await upstashBridge(redis.port, token);
	origin = await serve(() => {
		hits++;
		return new Response(status === 200 ? 'ok' : 'down', { status });
	});
}, 30_000);

afterAll(async () => {
	await origin?.close();
	await bridge?.close();
	await redis?.stop();
});

describe('the Redis recipes', { timeout: 90_000 }, () => {
	it('type-check against the built package\'s types', () => {
		writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
			compilerOptions: {
				target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2023', 'DOM'],
				strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, noEmit: true, skipLibCheck: true,
				types: ['node'], typeRoots: ['../../node_modules/@types'],
				paths: { 'steadfetch': ['../../dist/index.d.ts'], 'steadfetch/*': ['../../dist/*.d.ts'] },
			},
			files: ['../../examples/redis/edge.ts', '../../examples/redis/node-fleet.ts'],
		}));
		const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
		expect(tsc.stdout + tsc.stderr).toBe('');
		expect(tsc.status).toBe(0);
	});

	it('the edge function (edge-light build, @upstash/redis over fetch): its instances share one breaker', async () => {
		const result = await build({
			entryPoints: [join(root, 'examples/redis/edge.ts')], bundle: true, write: false, format: 'esm', platform: 'neutral', target: 'es2022',
			conditions: ['edge-light', 'worker', 'browser'], mainFields: ['module', 'main'], logLevel: 'silent',
		});
		expect(result.warnings).toEqual([]);
		const bundle = join(dir, 'edge.mjs');
		writeFileSync(bundle, result.outputFiles[0]!.text);
		Object.assign(process.env, { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: token, UPSTREAM: `${origin.url}/` });
		type Handler = (request: Request, context: { waitUntil(promise: Promise<unknown>): void }) => Promise<Response>;
		// Two instances of the function: the module loaded twice (each its own client).
		const first = (await import(`${pathToFileURL(bundle).href}?instance=1`) as { default: Handler }).default;
		const second = (await import(`${pathToFileURL(bundle).href}?instance=2`) as { default: Handler }).default;
		const pending: Array<Promise<unknown>> = [];
		const call = async (handler: Handler): Promise<string> => {
			const response = await handler(new Request('https://fn.example/api/items?path=items'), { waitUntil: (promise) => pending.push(promise) });
			await Promise.all(pending.splice(0));
			return `${response.status} ${await response.text()}`;
		};

		hits = 0;
		status = 503;
		const answers: string[] = [];
		// One instance sees the failures; then the other, never having seen one, fails fast too.
		while (!answers.includes('503 CIRCUIT_OPEN')) {
			expect(answers.length).toBeLessThan(20);
			answers.push(await call(first));
		}

		expect(hits).toBe(5); // consecutiveFailures
		expect(await call(second)).toBe('503 CIRCUIT_OPEN');
		expect(hits).toBe(5);
		expect(bridge.commands).toContain('eval');
		const keys = await redis.client.keys('steadfetch:breaker:*');
		expect(keys).toHaveLength(1);
		expect(JSON.parse((await redis.client.hget(keys[0]!, 's'))!)[0]).toBe(1); // open
	});

	it('the Node server (ioredis), two processes: a scope opened by one fails fast in the other', async () => {
		await redis.client.flushall();
		const ports = [await freePort(), await freePort()];
		const servers: ChildProcess[] = ports.map((port) => spawn(process.execPath, [join(root, 'examples/redis/node-fleet.ts')], {
			cwd: root, stdio: ['ignore', 'inherit', 'inherit'],
			env: { ...process.env, PORT: String(port), REDIS_URL: `redis://127.0.0.1:${redis.port}`, UPSTREAM: `${origin.url}/` },
		}));
		try {
			const get = async (index: number): Promise<string> => {
				const response = await fetch(`http://127.0.0.1:${ports[index]}/items`);
				return `${response.status} ${await response.text()}`;
			};

			// Each process answers, and has synced with Redis: its client connects after the server listens, and a
			// sync sent before (ioredis without an offline queue) fails: the process then decides alone until an
			// answer comes, and adopts the fleet's state (closed) when one does, in the middle of the failures
			// below (API.md: "when it answers again, the fleet's state is adopted"). The scope's key changes
			// version at each write; a process's first call syncs, and one after sharedCacheMs again.
			const version = async (): Promise<number> => {
				const [key] = await redis.client.keys('steadfetch:breaker:*');
				return key ? Number(await redis.client.hget(key, 'v')) : 0;
			};
			status = 200;
			let synced = 0; // when process 1 last answered (and synced)
			for (const index of [0, 1]) {
				const before = await version();
				await until(`server ${index} to answer and reach Redis`, async () => await get(index).then((answer) => answer === '200 ok', () => false) && await version() > before);
				synced = Date.now();
			}

			hits = 0;
			status = 503;
			const answers: string[] = [];
			while (!answers.includes('503 CIRCUIT_OPEN')) {
				expect(answers.length).toBeLessThan(20);
				answers.push(await get(0));
			}

			expect(hits).toBe(5);
			// The other process adopts the fleet's state within its sharedCacheMs (1 s): at most one request of its own
			// meanwhile. Asked as API.md bounds it ("with calls at least sharedCacheMs apart in each process"): once Redis holds
			// the opening (process 0 reports its failures without waiting) and process 1's last call is more than 1 s old.
			// Before, process 1's first call could come within 1 s of its last: sent under the state it had adopted then, its
			// 503 retried by ky (the recipe's client retries) before the report's answer told it the fleet's state: 7 requests.
			const [key] = await redis.client.keys('steadfetch:breaker:*');
			await until('Redis to hold the opening, and process 1\'s state to be sharedCacheMs old', async () => Date.now() - synced > 1_100 && JSON.parse((await redis.client.hget(key!, 's')) ?? '[]')[0] === 1);
			await until('the other process to fail fast', async () => (await get(1)) === '503 CIRCUIT_OPEN');
			expect(hits).toBeLessThanOrEqual(6);
		} finally {
			await Promise.all(servers.map(async (child) => new Promise((resolve) => {
				child.once('exit', resolve);
				child.kill();
			})));
		}
	});
});
