/**
 * Every TypeScript block in README.md is type-checked against the built package's types (what users
 * get), and those that can run in Node are executed, with their HTTP answered by msw.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const dir = join(root, 'test-results/readme');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The ```ts blocks, named after the heading above each. */
const blocks = [...readme.matchAll(/^(#{2,4}) (.+)$|^```ts\n([\s\S]*?)^```$/gm)].reduce<{ heading: string; list: { name: string; code: string }[] }>((state, match) => {
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
	it('there are blocks for the main use and every recipe', () => {
		expect(blocks.map((block) => block.name)).toEqual(expect.arrayContaining([
			expect.stringContaining('use'), expect.stringContaining('pwa'),
			expect.stringContaining('cloudflare-worker'), expect.stringContaining('deno'),
		]));
	});

	it('every block type-checks against the built types', () => {
		const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
		expect(tsc.stdout + tsc.stderr).toBe('');
		expect(tsc.status).toBe(0);
	}, 60_000);

	it('runs "Use": a read, a write, and close()', async () => {
		const use = blocks.find((block) => block.name.endsWith('-use'))!;
		await import(file(use.name));
	});

	it('the TanStack Query recipe is the app test/fixtures/tanstack-react/app.tsx type-checks in a React app (test/node/tanstack.test.ts)', () => {
		const app = readFileSync(join(root, 'test/fixtures/tanstack-react/app.tsx'), 'utf8');
		const region = /^\/\/ #region README: TanStack Query\n([\s\S]*?)^\/\/ #endregion$/m.exec(app)?.[1];
		expect(region).toBeDefined();
		expect(/^```tsx\n([\s\S]*?)^```$/m.exec(readme)?.[1]).toBe(region);
	});

	it('runs the Cloudflare Worker recipe in Node: fresh, then stale when the upstream fails', async () => {
		const worker = (await import(file(blocks.find((block) => block.name.includes('cloudflare-worker'))!.name))).default as { fetch(request: Request): Promise<Response> };
		const fresh = await worker.fetch(new Request('https://worker.test/items'));
		expect(fresh.headers.get('x-upstream')).toBe('fresh');
		expect(await fresh.json()).toEqual({ path: 'items' });
		await new Promise((resolve) => setTimeout(resolve, 20));
		server.use(http.get('https://upstream.example.com/:path', () => HttpResponse.error()));
		const stale = await worker.fetch(new Request('https://worker.test/items'));
		expect(stale.headers.get('x-upstream')).toBe('stale');
		expect(await stale.json()).toEqual({ path: 'items' });
		server.resetHandlers();
	});
});
