/**
 * The built types as an app meets them: each policy adds its events and per-call options to
 * `steadfetch/core`'s `EventMap` and `CallOptions` by declaration merging, so `client.on` and a call's
 * options know exactly the policies a program imports. Each file of test/fixtures/consumer-types is a
 * program of its own (an augmentation applies to a whole program), type-checked against dist/ through
 * the package's `exports`, as in an app's node_modules: with a bundler's resolution, and with
 * `nodenext` as ESM (.mts, dist/*.d.ts) and as CommonJS (.cts, dist/*.d.cts). `skipLibCheck` is off:
 * the shipped declarations are checked too.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const fixtures = join(root, 'test/fixtures/consumer-types');
let dir = '';

beforeAll(() => {
	if (!existsSync(join(root, 'dist/core.d.cts'))) {
		throw new Error('dist/ is missing: run `npm run build` first');
	}

	dir = mkdtempSync(join(tmpdir(), 'steadfetch-types-'));
	mkdirSync(join(dir, 'node_modules'));
	symlinkSync(root, join(dir, 'node_modules/steadfetch'));
	for (const name of ['core', 'breaker', 'preset', 'policies', 'node-only']) {
		for (const extension of ['ts', 'mts', 'cts']) {
			cpSync(join(fixtures, `${name}.ts`), join(dir, `${name}.${extension}`));
		}
	}
});

afterAll(() => {
	rmSync(join(dir, 'node_modules/steadfetch'), { force: true }); // the link, never what it points to
	rmSync(dir, { recursive: true, force: true });
});

const base: ts.CompilerOptions = {
	target: ts.ScriptTarget.ES2022, lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'], types: [], strict: true, exactOptionalPropertyTypes: true, noEmit: true, skipLibCheck: false,
};
const modes = {
	bundler: { ...base, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler },
	nodenext: { ...base, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
	// A Node backend's: no DOM lib, Node's globals (what a server's tsconfig has: `"types": ["node"]`).
	node: { ...base, lib: ['lib.es2023.d.ts'], types: ['node'], typeRoots: [join(root, 'node_modules/@types')], module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
	node20: { ...base, module: ts.ModuleKind.Node20, moduleResolution: ts.ModuleResolutionKind.Node16 },
	node16: { ...base, module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 },
};

/** Parsed files shared by the programs (the libraries' declarations are the same for each): keyed by path and how each is parsed. */
const parsed = new Map<string, ts.SourceFile | undefined>();

/** The errors of a program of one file, as tsc prints them (empty when it type-checks). */
const errorsOf = (file: string, mode: keyof typeof modes): string[] => {
	const options = modes[mode];
	const host = ts.createCompilerHost(options);
	const read = host.getSourceFile.bind(host);
	host.getSourceFile = (name, version, ...rest) => {
		const key = `${name}\0${JSON.stringify(version)}`;
		if (!parsed.has(key)) {
			parsed.set(key, read(name, version, ...rest));
		}

		return parsed.get(key);
	};

	const program = ts.createProgram([join(dir, file)], options, host);
	return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.formatDiagnostic(diagnostic, { getCanonicalFileName: (name) => name, getCurrentDirectory: () => dir, getNewLine: () => '\n' }).trim());
};

describe('each program sees the events and per-call options of the policies it imports (built types)', () => {
	it('`steadfetch/core` alone: the core\'s own; `client.on(\'breaker:open\')` and `{ breaker: false }` are type errors', () => {
		expect(errorsOf('core.ts', 'bundler')).toEqual([]);
	}, 60_000);

	it('`steadfetch/core` with `steadfetch/breaker`: the breaker\'s too, no other policy\'s', () => {
		expect(errorsOf('breaker.ts', 'bundler')).toEqual([]);
	}, 60_000);

	it('`steadfetch` (the preset): the breaker\'s, the stale cache\'s and the outbox\'s', () => {
		expect(errorsOf('preset.ts', 'bundler')).toEqual([]);
	}, 60_000);

	it('`steadfetch/core` with every policy\'s entry: every event API.md lists, every per-call option', () => {
		expect(errorsOf('policies.ts', 'bundler')).toEqual([]);
	}, 60_000);

	it('the same under `nodenext`, as ESM (dist/*.d.ts) and as CommonJS (dist/*.d.cts)', () => {
		const failed = ['core', 'breaker', 'preset'].flatMap((name) => ['mts', 'cts'].flatMap((extension) => errorsOf(`${name}.${extension}`, 'nodenext')));
		expect(failed).toEqual([]);
	}, 120_000);

	it('CommonJS under `module: node20` checks; under `node16`, a TypeScript without require of ESM, only ky\'s ESM is reported, and the README\'s Install says which to use', () => {
		expect(['core', 'preset'].flatMap((name) => errorsOf(`${name}.cts`, 'node20'))).toEqual([]);
		const node16 = errorsOf('preset.cts', 'node16');
		expect(node16.length).toBeGreaterThan(0);
		expect(node16.filter((error) => !/error TS1479: .*ECMAScript module/.test(error))).toEqual([]);
		const readme = readFileSync(join(root, 'README.md'), 'utf8').replaceAll(/\s+/g, ' ');
		expect(/TypeScript in a CommonJS project: `"module": "node20"` \(or `"nodenext"`\)/.test(readme), 'the README\'s Install names the `module` setting').toBe(true);
	}, 120_000);

	it('a Node backend\'s program (no DOM lib, `types: [\'node\']`): the declarations name no DOM-only type, as ESM and as CommonJS', () => {
		const failed = ['mts', 'cts'].flatMap((extension) => errorsOf(`node-only.${extension}`, 'node'));
		expect(failed).toEqual([]);
	}, 120_000);
});
