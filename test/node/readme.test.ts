/**
 * Every TypeScript block in README.md is type-checked against the built package's types (what users
 * get), and those that can run in Node are executed, with their HTTP answered by msw. The blocks the
 * README includes from elsewhere (the Worker recipes, which test/workerd-requests/recipes.test.ts
 * type-checks with the Workers types and runs in workerd; the React app test/node/tanstack.test.ts
 * type-checks) and the options reference generated from the TSDoc must be what scripts/readme.mjs
 * writes; the sizes it states must be what scripts/size.mjs measures.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs script without types
import { optionsOf, rewrite, sections } from '../../scripts/readme.mjs';

const root = join(import.meta.dirname, '../..');
const dir = join(root, 'test-results/readme');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The ```ts blocks written in the README itself (not included from a file), named after the heading above each. */
const blocks = [...readme.matchAll(/^(#{2,4}) (.+)$|^(?<!<!-- include: .+? -->\n)```ts\n([\s\S]*?)^```$/gm)].reduce<{ heading: string; list: { name: string; code: string }[] }>((state, match) => {
	if (match[2]) {
		state.heading = match[2];
	} else if (match[3]) {
		state.list.push({ name: `${state.list.length + 1}-${state.heading.toLowerCase().replaceAll(/[^a-z\d]+/g, '-').replaceAll(/^-|-$/g, '')}`, code: match[3] });
	}

	return state;
}, { heading: 'intro', list: [] }).list;

const file = (name: string) => join(dir, `${name}.ts`);

const server = setupServer(
	http.get('https://api.example.com/v1/users/:id', ({ params }) => HttpResponse.json({ id: params['id'], name: 'Ada' })),
	http.post('https://api.example.com/v1/orders', () => HttpResponse.json({ ok: true }, { status: 201 })),
	http.get('https://upstream.example.com/:path', ({ params }) => (params['path'] === 'down'
		? HttpResponse.json({ error: 'down' }, { status: 503 })
		: HttpResponse.json({ path: params['path'] }, { headers: { 'cache-control': 'max-age=0' } }))),
);

beforeAll(() => {
	rmSync(dir, { recursive: true, force: true });
	mkdirSync(dir, { recursive: true });
	for (const { name, code } of blocks) {
		writeFileSync(file(name), code);
	}

	// What the recipes assume their runtime provides (Deno), without pulling its types in.
	writeFileSync(join(dir, 'runtime-globals.d.ts'), 'declare const Deno: { serve(handler: (request: Request) => Response | Promise<Response>): unknown; openKv(path?: string): Promise<never> };\n');
	writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
		compilerOptions: {
			target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2023', 'DOM', 'DOM.Iterable'],
			strict: true, exactOptionalPropertyTypes: true, noEmit: true, skipLibCheck: true, types: [],
			paths: { 'steadfetch': ['../../dist/index.d.ts'], 'npm:steadfetch': ['../../dist/index.d.ts'] },
		},
		include: ['./*.ts'],
	}));
	server.listen({ onUnhandledFrame: 'error' });
});

afterAll(() => {
	server.close();
});

describe('README code blocks', () => {
	it('there are blocks for the main use and the recipes written here', () => {
		expect(blocks.map((block) => block.name)).toEqual(expect.arrayContaining([
			expect.stringContaining('install'), expect.stringContaining('pwa'), expect.stringContaining('conflicts'),
			expect.stringContaining('service-worker'), expect.stringContaining('deno'),
		]));
	});

	it('every block type-checks against the built types', () => {
		const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
		expect(tsc.stdout + tsc.stderr).toBe('');
		expect(tsc.status).toBe(0);
	}, 60_000);

	it('runs "Install": a read of a stored copy, answered by the origin', async () => {
		const use = blocks.find((block) => block.name.endsWith('-install'))!;
		await import(file(use.name));
	});

	it('the blocks it includes are their files as they are (the Worker recipes, the React app), and the options reference is the TSDoc\'s (`node scripts/readme.mjs`)', () => {
		expect(readme.match(/<!-- include: /g)?.length).toBe(5);
		expect(rewrite(readme, root)).toBe(readme);
	});

	it('every public option states its @default in its TSDoc (what the options reference shows)', () => {
		const missing = (sections as Array<[string, string]>).flatMap(([path, name]) =>
			(optionsOf(join(root, path), name) as Array<{ name: string; required: boolean; default: string }>).filter((option) => !option.required && option.default === '').map((option) => `${name}.${option.name}`));
		expect(missing).toEqual([]);
	});

	it('the sizes it states are what scripts/size.mjs measures (within 2 %)', () => {
		const run = spawnSync(process.execPath, [join(root, 'scripts/size.mjs'), '--json'], { cwd: root, encoding: 'utf8' });
		const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{\n'))) as { rows: Array<{ name: string; brotliWithDeps: number }>; kyAlone: number; alternatives: number };
		const measured = (name: string): number => report.rows.find((row) => row.name === name)!.brotliWithDeps;
		const stated = (label: string): number => Number(new RegExp(`^\\| ${label.replaceAll(/[()+.*`]/g, '\\$&')} [^\\n]*?\\| ([\\d,]+) \\|$`, 'm').exec(readme)?.[1]?.replaceAll(',', ''));
		for (const [label, value] of [
			['ky alone', report.kyAlone],
			['`steadfetch/core` (ky, retries with our defaults, the retry budget, events, stats)', measured('steadfetch/core')],
			['`steadfetch` with its defaults (+ breaker, stale cache, outbox)', measured('steadfetch (the preset, defaults)')],
			['ky + cockatiel + workbox-background-sync + workbox-strategies + idb-keyval', report.alternatives],
		] as const) {
			expect(Math.abs(stated(label) - value) / value, `${label}: README ${stated(label)}, measured ${value}`).toBeLessThanOrEqual(0.02);
		}
	}, 120_000);
});
