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

describe('the package as users install it', () => {
	it('has the fields the issue asks for', () => {
		expect(pkg).toMatchObject({ name: 'steadfetch', type: 'module', sideEffects: false, engines: { node: '>=22' } });
		expect(Object.keys(pkg.exports['.'])[0]).toBe('types');
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
