import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
	const path = join(dir, name);
	return statSync(path).isDirectory() ? files(path) : [path];
});

const entries = ['steadfetch', 'steadfetch/core', 'steadfetch/breaker', 'steadfetch/cache', 'steadfetch/outbox'];

describe('the package as users install it', () => {
	it('has the fields the issue asks for', () => {
		expect(pkg).toMatchObject({ name: 'steadfetch', type: 'module', sideEffects: false, engines: { node: '>=22' } });
		for (const entry of entries) {
			// A types condition first in each of import and require (.d.ts for ESM, .d.cts for CJS).
			const conditions = pkg.exports[entry === 'steadfetch' ? '.' : entry.replace('steadfetch', '.')];
			expect(Object.keys(conditions.import)[0], entry).toBe('types');
			expect(conditions.import.types, entry).toMatch(/\.d\.ts$/);
			expect(Object.keys(conditions.require)[0], entry).toBe('types');
			expect(conditions.require.types, entry).toMatch(/\.d\.cts$/);
		}

		expect(pkg.scripts.prepack).toBe('npm run build');
		expect(pkg.files).toContain('dist');
		expect(Object.keys(pkg.dependencies).sort()).toEqual(['idb-keyval', 'ky']);
	});

	it('ESM and CJS builds resolve through the exports map and export the same names', async () => {
		const esm = await import('steadfetch' as string) as Record<string, unknown>;
		const cjs = createRequire(import.meta.url)('steadfetch') as Record<string, unknown>;
		expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).sort());
		for (const name of ['createClient', 'classify', 'isStale', 'memoryStore', 'indexedDbStore', 'cacheApiStore', 'autoStore', 'SteadfetchError', 'CircuitOpenError', 'OutboxQueuedError', 'OutboxFullError', 'InvalidRequestError', 'HTTPError', 'TimeoutError', 'NetworkError']) {
			expect(esm[name], name).toBeTypeOf('function');
		}
	});

	it('every entry resolves in ESM and CJS with the same names, and shares one copy of each class', async () => {
		const require = createRequire(import.meta.url);
		const expected: Record<string, string[]> = {
			'steadfetch/core': ['createClient', 'classify', 'SteadfetchError', 'memoryStore'],
			'steadfetch/breaker': ['breaker'],
			'steadfetch/cache': ['staleCache', 'isStale'],
			'steadfetch/outbox': ['outbox', 'outboxSyncHandler'],
			'steadfetch/bulkhead': ['bulkhead', 'BulkheadFullError'],
			'steadfetch/rate-limit': ['rateLimit', 'RateLimitedError'],
			'steadfetch/throttle': ['adaptiveThrottle', 'ThrottledError'],
			'steadfetch/dedupe': ['dedupe'],
			'steadfetch/hedge': ['hedge'],
			'steadfetch/failover': ['failover'],
			'steadfetch/auth': ['auth', 'AuthError'],
			'steadfetch/otel': ['otel'],
			'steadfetch/cloudflare': ['BreakerCoordinator', 'coordinator'],
			'steadfetch/deno': ['coordinator', 'denoKvStore'],
			'steadfetch/sw': ['fetchHandler', 'outboxSyncHandler'],
			'steadfetch/tanstack-query': ['queryOptionsFor', 'mutationOptionsFor', 'refetchWhenBack', 'shown', 'StaleAnswerError'],
		};
		for (const [entry, names] of Object.entries(expected)) {
			const esm = await import(entry) as Record<string, unknown>;
			const cjs = require(entry) as Record<string, unknown>;
			expect(Object.keys(cjs).sort(), entry).toEqual(Object.keys(esm).sort());
			for (const name of names) {
				expect(esm[name], `${entry} ${name}`).toBeTypeOf('function');
			}
		}

		const main = await import('steadfetch' as string) as Record<string, unknown>;
		const core = await import('steadfetch/core' as string) as Record<string, unknown>;
		expect(core['SteadfetchError']).toBe(main['SteadfetchError']);
		expect(require('steadfetch/core').SteadfetchError).toBe(require('steadfetch').SteadfetchError);
		expect('breaker' in core).toBe(false);
	});

	it('each runtime\'s build carries only its own default store: no Cache API store for browsers, no idb-keyval for workerd and Deno', async () => {
		const { build } = await import('esbuild');
		const consumer = "import { createClient } from 'steadfetch/core';\nimport { breaker } from 'steadfetch/breaker';\nimport { staleCache } from 'steadfetch/cache';\nimport { outbox } from 'steadfetch/outbox';\nexport const api = createClient({ breaker: breaker(), staleCache: staleCache(), outbox: outbox() });";
		const bundle = async (platform: 'browser' | 'neutral' | 'node', conditions: string[]) => {
			const result = await build({ stdin: { contents: consumer, resolveDir: root, loader: 'js' }, bundle: true, write: false, format: 'esm', platform, conditions, metafile: true, logLevel: 'error', mainFields: ['module', 'main'] });
			return { text: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) };
		};

		const browser = await bundle('browser', []);
		expect(browser.inputs.some((path) => path.startsWith('dist/browser/'))).toBe(true);
		expect(browser.text).toContain('keyval-store'); // idb-keyval's database
		expect(browser.text).not.toContain('caches.open');
		for (const runtime of ['workerd', 'deno', 'edge-light']) {
			const edge = await bundle('neutral', [runtime, 'worker', 'browser']);
			expect(edge.inputs.some((path) => path.startsWith('dist/edge/')), runtime).toBe(true);
			expect(edge.text, runtime).toContain('caches.open');
			expect(edge.text, runtime).not.toContain('keyval-store');
		}

		// Node (and CJS): every store, picked when a store is made.
		const node = await bundle('node', []);
		expect(node.text).toContain('caches.open');
		expect(node.text).toContain('keyval-store');
	});

	it('the policy-author types say in the shipped types that they are experimental', () => {
		const declarations = files(join(root, 'dist')).filter((file) => file.endsWith('.d.ts')).map((file) => readFileSync(file, 'utf8')).join('\n');
		for (const name of ['Policy', 'PolicyCall', 'PolicyContext', 'PolicyHooks', 'PolicyParts', 'RunOptions', 'SlotName', 'EventFields', 'FetchLike', 'FetchInit', 'Layer']) {
			const at = declarations.search(new RegExp(`(?:interface|type) ${name}\\b`));
			expect(at, name).toBeGreaterThan(0);
			const doc = declarations.slice(declarations.lastIndexOf('/**', at), at);
			expect(doc, name).toContain('@experimental');
		}
	});

	it('nothing under src/ needs Node', () => {
		const nodeOnly = /from ['"]node:|\brequire\(|\bprocess\.(?:env|nextTick|versions|platform|exit|cwd|on)\b|\bBuffer\.|__dirname|setImmediate|\.unref\(\)|NodeJS\./;
		const offenders = files(join(root, 'src')).filter((file) => nodeOnly.test(readFileSync(file, 'utf8')));
		expect(offenders).toEqual([]);
	});

	it('importing the built module starts no timer and touches no storage', async () => {
		const timers: unknown[] = [];
		const original = globalThis.setTimeout;
		globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
			timers.push(args);
			return original(...args);
		}) as typeof setTimeout;
		try {
			await import(join(root, 'dist/index.js') + '?fresh=' + Date.now());
		} finally {
			globalThis.setTimeout = original;
		}

		expect(timers).toEqual([]);
	});
});
