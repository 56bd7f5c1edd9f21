/**
 * The layering issue 34 asks for, kept by a test: the core names no policy (a policy's events,
 * per-call options, members and stats reach it by declaration merging, never by an import), and
 * src/utils/ sits below the core. Read from the sources: every `import`/`export … from` and
 * `import()` specifier, type-only ones included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '../../src');

/** The folders (under src/) that the files of `folder` import from. */
const importsOf = (folder: string): Map<string, string[]> => {
	const found = new Map<string, string[]>();
	for (const file of readdirSync(join(src, folder)).filter((name) => name.endsWith('.ts'))) {
		const text = readFileSync(join(src, folder, file), 'utf8');
		for (const [, specifier] of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)) {
			const target = specifier!.startsWith('./') ? folder : specifier!.startsWith('../') ? specifier!.split('/')[1]! : specifier!;
			found.set(target, [...found.get(target) ?? [], `${folder}/${file}`]);
		}
	}

	return found;
};

/** The code of every source file under src/, by its path, comments removed (a comment may name what the code must not do). */
const sources = (): Map<string, string> => new Map(readdirSync(src, { withFileTypes: true }).filter((entry) => entry.isDirectory()).flatMap(({ name: folder }) =>
	readdirSync(join(src, folder)).filter((name) => name.endsWith('.ts')).map((file): [string, string] => [
		`${folder}/${file}`,
		readFileSync(join(src, folder, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '').replace(/\s\/\/ .*$/gm, ''),
	])));

/** The lines of code under src/ (outside `except`) that match `pattern`, as `path: line`. */
const linesMatching = (pattern: RegExp, except: (path: string) => boolean = () => false): string[] =>
	[...sources()].filter(([path]) => !except(path)).flatMap(([path, code]) => code.split('\n').filter((line) => pattern.test(line)).map((line) => `${path}: ${line.trim()}`));

/** The folders of src/ and, for each, the other folders its code imports (`steadfetch…` specifiers are src/entries/). */
const folderGraph = (): Map<string, Set<string>> => {
	const graph = new Map<string, Set<string>>();
	for (const [path, code] of sources()) {
		const folder = path.split('/')[0]!;
		const targets = graph.get(folder) ?? new Set<string>();
		graph.set(folder, targets);
		for (const [, specifier] of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)) {
			const target = specifier!.startsWith('../') ? specifier!.split('/')[1]! : /^steadfetch(?:\/|$)/.test(specifier!) ? 'entries' : folder;
			if (target !== folder) {
				targets.add(target);
			}
		}
	}

	return graph;
};

/** Every cycle a depth-first walk of `graph` closes, as `a -> b -> a`. */
const cyclesOf = (graph: ReadonlyMap<string, ReadonlySet<string>>): string[] => {
	const found: string[] = [];
	const done = new Set<string>();
	const walk = (folder: string, path: string[]): void => {
		if (path.includes(folder)) {
			found.push([...path.slice(path.indexOf(folder)), folder].join(' -> '));
			return;
		}

		if (!done.has(folder)) {
			for (const next of graph.get(folder) ?? []) {
				walk(next, [...path, folder]);
			}

			done.add(folder);
		}
	};

	for (const folder of [...graph.keys()].sort()) {
		walk(folder, []);
	}

	return found;
};

describe('layers', () => {
	it('src/core/ imports only the core, utils, errors, the retry budget, stores and ky (no policy folder)', () => {
		const allowed = new Set(['core', 'utils', 'errors', 'retry', 'stores', 'ky']);
		const stray = [...importsOf('core')].filter(([target]) => !allowed.has(target));
		expect(stray).toEqual([]);
	});

	it('src/utils/ imports nothing of the core or of a policy', () => {
		const stray = [...importsOf('utils')].filter(([target]) => target !== 'utils' && target !== 'errors');
		expect(stray).toEqual([]);
	});

	it('src/redis/ imports no Redis client (the app hands in `evaluate`): only the coordinator\'s decisions, the shared breaker\'s link and utils', () => {
		const allowed = new Set(['redis', 'breaker', 'coordinator', 'utils']);
		const stray = [...importsOf('redis')].filter(([target]) => !allowed.has(target));
		expect(stray).toEqual([]);
		expect(importsOf('redis').get('coordinator')?.length).toBeGreaterThan(0);
	});

	it('src/core/ names no built-in policy: no slot name as a string, none of the names they produce (issue 45)', () => {
		const slots = ['auth', 'trace', 'outbox', 'staleCache', 'failover', 'dedupe', 'hedge', 'adaptiveThrottle', 'bulkhead', 'rateLimit', 'breaker', 'logger', 'health'];
		const named = new RegExp(`(['"\`])(?:${slots.join('|')})\\1|\\b(?:validatorOf|tokenGoesTo|QUEUED|THROTTLED|slotOrder|layerOrder)\\b|'stale'|'queued'`);
		const found: string[] = [];
		for (const file of readdirSync(join(src, 'core')).filter((name) => name.endsWith('.ts'))) {
			// Code only: comments may explain what a policy does with a door of the core.
			const code = readFileSync(join(src, 'core', file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
			// `'trace'` is also an HTTP method: a list of HTTP methods (ky's retried ones) names no policy.
			for (const line of code.split('\n').filter((text) => named.test(text) && !/'get', 'put', 'head'/.test(text))) {
				found.push(`${file}: ${line.trim()}`);
			}
		}

		expect(found).toEqual([]);
		expect(named.test("x === 'QUEUED'") && named.test("code === 'THROTTLED'") && named.test("options['breaker']")).toBe(true);
	});

	it('no folder cycle between the core and the retry budget: src/retry/ imports nothing of the core (issue 45)', () => {
		expect([...importsOf('retry')].filter(([target]) => target !== 'retry' && target !== 'utils' && target !== 'errors')).toEqual([]);
	});

	it('no policy folder imports another policy\'s folder (the throttle reaches a coordinator through src/coordinator\'s own `Coordinator`, issue 45); otel() builds on trace(): both fill the `trace` slot', () => {
		const policies = ['auth', 'breaker', 'bulkhead', 'cache', 'dedupe', 'failover', 'health', 'hedge', 'logger', 'otel', 'outbox', 'rate-limit', 'throttle', 'trace'];
		const stray = policies.flatMap((folder) => [...importsOf(folder).keys()]
			.filter((target) => target !== folder && policies.includes(target) && !(folder === 'otel' && target === 'trace'))
			.map((target) => `${folder} -> ${target}`));
		expect(stray).toEqual([]);
	});

	it('no `Date.now()` or `performance.now()` outside src/utils/: time is the injected clock, or a named real clock of src/utils/clock.ts that says why (issue 45)', () => {
		expect(linesMatching(/\b(?:Date|performance)\.now\(/, (path) => path.startsWith('utils/'))).toEqual([]);
		expect(linesMatching(/\b(?:Date|performance)\.now\(/).length).toBeGreaterThan(0);
	});

	it('no `options[\'…\']` lookups: the policy boundary is typed by the merged `CallOptions` and client options, read as `options.staleCache` (issue 45)', () => {
		expect(linesMatching(/options\[['"`]/)).toEqual([]);
		expect(linesMatching(/options\./).length).toBeGreaterThan(20);
	});

	it('no folder cycle in src/ at all (a folder importing itself aside): the built-ins\' bands are src/bands/, the breaker\'s coordinator side src/breaker/sync.ts (issue 45)', () => {
		const graph = folderGraph();
		expect(cyclesOf(graph)).toEqual([]);
		// The walk would see one: the entries import every policy, and a policy importing an entry closes a cycle.
		expect(graph.get('entries')?.has('cache')).toBe(true);
		expect(cyclesOf(new Map([...graph, ['cache', new Set([...graph.get('cache')!, 'entries'])]]))).toContain('cache -> entries -> cache');
		expect(cyclesOf(new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])]]))).toEqual(['a -> b -> c -> a']);
	});

	it('a call has one owner: src/core/call.ts\'s `Call` changes its state by its own methods, no `export let` writer assigned from a static block (issue 45)', () => {
		const code = readFileSync(join(src, 'core/call.ts'), 'utf8');
		const writers = /^\s*export\s+let\b/m;
		expect(code.match(/^\s*export\s+let\s+\w+/gm) ?? []).toEqual([]);
		expect(code).toMatch(/\bexport class Call\b/);
		expect(code).not.toMatch(/\bstatic\s*\{/);
		// The pattern would catch one.
		expect(writers.test('export let countAttempt: (call: Call) => void;')).toBe(true);
	});

	it('the scan sees imports (it would catch one)', () => {
		expect(importsOf('core').get('errors')?.length).toBeGreaterThan(3);
		expect([...importsOf('breaker').keys()]).toContain('core');
	});
});
