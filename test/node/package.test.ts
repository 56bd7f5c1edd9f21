import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** The project's one repository: package.json's `repository`, `homepage` and `bugs` and the README's links name it. */
const repository = 'https://github.com/steadfetch/steadfetch';

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
			'steadfetch/redis': ['coordinator'],
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

	it('every entry loads in the runtime its export condition picks: each `deno` file in real Deno, and no `deno` or `edge-light` file imports a module only workerd resolves (`cloudflare:workers`)', async () => {
		const picked = (condition: string): Array<[string, string]> => Object.entries(pkg.exports as Record<string, Record<string, { default: string }>>)
			.filter(([, conditions]) => conditions[condition] !== undefined).map(([entry, conditions]) => [entry, conditions[condition]!.default]);
		const { build } = await import('esbuild');
		const workerdOnly: string[] = [];
		for (const condition of ['deno', 'edge-light']) {
			for (const [entry, file] of picked(condition)) {
				const result = await build({ entryPoints: [join(root, file)], bundle: true, write: false, format: 'esm', platform: 'neutral', metafile: true, logLevel: 'silent', external: ['ky', 'idb-keyval', '@opentelemetry/api', 'cloudflare:*'] });
				const imported = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((each) => each.path));
				if (imported.some((path) => path.startsWith('cloudflare:'))) {
					workerdOnly.push(`${entry} (${condition})`);
				}
			}
		}

		// Before: steadfetch/cloudflare's edge build imported `cloudflare:workers`, so `unavailable()` could not even load in Deno or Vercel's edge.
		expect(workerdOnly).toEqual([]);
		const deno = join(root, 'node_modules', '.bin', 'deno');
		const imports = picked('deno').map(([, file]) => `await import(${JSON.stringify(pathToFileURL(join(root, file)).href)});`).join('\n');
		const run = spawnSync(deno, ['eval', `${imports}\nconsole.log('loaded');`], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } });
		expect({ stdout: run.stdout.trim(), stderr: run.stderr.split('\n')[0] }).toEqual({ stdout: 'loaded', stderr: '' });
	}, 60_000);

	it('the policy-author types say in the shipped types that they are stable (API.md: semver applies to steadfetch/policy)', () => {
		const declarations = files(join(root, 'dist')).filter((file) => file.endsWith('.d.ts')).map((file) => readFileSync(file, 'utf8')).join('\n');
		for (const name of ['Policy', 'PolicyCall', 'PolicyContext', 'PolicyHooks', 'PolicyParts', 'RunOptions', 'SlotName', 'EventFields', 'FetchLike', 'FetchInit', 'Layer']) {
			// Every declaration of the name (a policy's declaration merging adds some): none experimental, its own stable.
			const docs = [...declarations.matchAll(new RegExp(`(?:interface|type) ${name}\\b`, 'g'))].map(({ index }) => declarations.slice(declarations.lastIndexOf('/**', index), index));
			expect(docs.length, name).toBeGreaterThan(0);
			expect(docs.filter((doc) => doc.includes('@experimental')), name).toEqual([]);
			expect(docs.some((doc) => doc.includes('stable from this version')), name).toBe(true);
		}
	});

	it('nothing under src/ needs Node', () => {
		const nodeOnly = /from ['"]node:|\brequire\(|\bprocess\.(?:env|nextTick|versions|platform|exit|cwd|on)\b|\bBuffer\.|__dirname|setImmediate|\.unref\(\)|NodeJS\./;
		const offenders = files(join(root, 'src')).filter((file) => nodeOnly.test(readFileSync(file, 'utf8')));
		expect(offenders).toEqual([]);
	});

	it('the built code calls no built-in newer than the browsers the README names (Chrome/Edge 116+, Firefox 124+, Safari 17.4+)', () => {
		const floor = /Chrome\/Edge (\d+)\+,\s+Firefox\s+(\d+)\+,\s+Safari\s+([\d.]+)\+/.exec(readFileSync(join(root, 'README.md'), 'utf8'))!.slice(1);
		expect(floor).toEqual(['116', '124', '17.4']);
		// Each with the first Chrome that has it: every one is past 116.
		const newer = ['URL.canParse', 'URL.parse', 'Promise.withResolvers', 'Promise.try', 'Array.fromAsync', 'Object.groupBy', 'Map.groupBy', 'Iterator.from', 'RegExp.escape', 'Error.isError', 'Math.sumPrecise'];
		const found = files(join(root, 'dist')).filter((file) => file.endsWith('.js')).flatMap((file) => {
			const code = readFileSync(file, 'utf8');
			return newer.filter((name) => code.includes(`${name}(`)).map((name) => `${file.slice(root.length + 1)}: ${name}`);
		});
		expect(found).toEqual([]);
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

/** The links of a markdown text: `[text](target)`, as written. */
const linksOf = (markdown: string): string[] => [...markdown.replaceAll(/^```[\s\S]*?^```$/gm, '').matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);

/** GitHub's (and npm's) anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string): string => heading.toLowerCase().replaceAll(/[^\p{L}\p{N}\s_-]/gu, '').replaceAll(' ', '-');

describe('the package on npm and in node_modules', () => {
	it('package.json names the repository, its README and its issues: the same repository the README links', () => {
		expect(pkg.repository).toEqual({ type: 'git', url: `git+${repository}.git` });
		expect(pkg.homepage).toBe(`${repository}#readme`);
		expect(pkg.bugs).toEqual({ url: `${repository}/issues` });
		const readme = readFileSync(join(root, 'README.md'), 'utf8');
		const github = linksOf(readme).filter((link) => link.startsWith('https://github.com/steadfetch/'));
		expect(github.length).toBeGreaterThan(0);
		for (const link of github) {
			expect(link, link).toMatch(new RegExp(`^${repository}/blob/main/`));
			// What it links is a file of this repository (main's copy of it, once merged).
			expect(existsSync(join(root, link.slice(`${repository}/blob/main/`.length).split('#')[0]!)), link).toBe(true);
		}
	});

	it('the tarball holds every file its README links by a relative path, every heading its anchors name, and no source map', () => {
		const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
		expect(pack.status, pack.stderr).toBe(0);
		const [tarball] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{ files: Array<{ path: string }> }>;
		const shipped = new Set(tarball!.files.map((file) => file.path));
		expect(shipped.has('README.md')).toBe(true);
		const readme = readFileSync(join(root, 'README.md'), 'utf8');
		const links = linksOf(readme).filter((link) => !/^[a-z]+:/i.test(link));
		const headings = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map((match) => slug(match[1]!)));
		const broken = links.filter((link) => link.startsWith('#') ? !headings.has(link.slice(1)) : !shipped.has(link.split('#')[0]!.replace(/^\.\//, '')));
		expect(broken).toEqual([]);
		// No map: the code is shipped unminified (each chunk names its source file), and a map of ../src/… would point outside the package.
		expect([...shipped].filter((file) => file.endsWith('.map'))).toEqual([]);
		const code = [...shipped].filter((file) => /\.c?js$/.test(file)).filter((file) => readFileSync(join(root, file), 'utf8').includes('sourceMappingURL'));
		expect(code).toEqual([]);
	}, 60_000);

	it('`npm pack` from a clone, as the README\'s Install says: quiet (the tarball\'s name, nothing else), the tarball where the command puts it, none in the clone', () => {
		const readme = readFileSync(join(root, 'README.md'), 'utf8');
		const command = /^(?:.*&& )?npm (pack [^#\n]*?)\s*(?:#.*)?$/m.exec(readme);
		expect(command, 'the README names an `npm pack …` command').not.toBeNull();
		const args = command![1]!.split(/\s+/);
		expect(args).toContain('--pack-destination');
		// A clone: what the build reads, and node_modules as `npm install` left it; its parent is the command's `..`.
		const parent = mkdtempSync(join(tmpdir(), 'steadfetch-pack-'));
		const clone = join(parent, 'steadfetch');
		try {
			mkdirSync(clone);
			for (const file of ['package.json', 'tsup.config.ts', 'scripts/swaps.mjs', 'tsconfig.json', 'README.md', 'LICENSE', 'src']) {
				cpSync(join(root, file), join(clone, file), { recursive: true });
			}

			symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'));
			const run = spawnSync('npm', args, { cwd: clone, encoding: 'utf8' });
			expect(run.status, run.stderr).toBe(0);
			const name = `steadfetch-${pkg.version}.tgz`;
			expect({ stdout: run.stdout, stderr: run.stderr }).toEqual({ stdout: `${name}\n`, stderr: '' });
			const destination = join(clone, args[args.indexOf('--pack-destination') + 1]!);
			expect(existsSync(join(destination, name))).toBe(true);
			expect(readdirSync(clone).filter((file) => file.endsWith('.tgz'))).toEqual([]);
		} finally {
			rmSync(join(clone, 'node_modules'), { force: true }); // the link, never what it points to
			rmSync(parent, { recursive: true, force: true });
		}
	}, 180_000);
});
