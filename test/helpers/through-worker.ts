/** A page whose calls go through a steadfetch service worker, and README recipes run as modules (the auth and sw hunts). */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';

type Options = Parameters<typeof createClient>[0];

/**
 * A page whose calls go through a service worker: the worker's client (`worker` options, its origin `origin`) behind
 * `fetchHandler`, and the page's own client (`page` options; no stale cache unless they say) whose `fetch` is the worker
 * (it counts the requests the page made). Both named `<prefix>-sw-…`, `<prefix>-page-…`, in `made` to be closed.
 */
export const throughWorker = (made: Array<{ close(): void }>, prefix: string, origin: (request: Request) => Promise<Response>, worker: Options = {}, page: Options = {}) => {
	const api = createClient({ name: `${prefix}-sw-${crypto.randomUUID()}`, store: memoryStore, retry: 0, ...worker, fetch: async (input: Request) => origin(input) } as never);
	made.push(api);
	const handle = fetchHandler(api, { match: () => true });
	let asked = 0;
	const pageFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
		asked++;
		const request = new Request(input, init);
		let answer: Promise<Response> | undefined;
		handle({ request, respondWith: (response) => {
			answer = Promise.resolve(response);
		} });
		// What crosses from the worker to the page is the Response's status, headers and bytes: no property the worker set on it.
		const { body, status, statusText, headers } = await answer!;
		return new Response(body, { status, statusText, headers });
	};

	const client = createClient({ name: `${prefix}-page-${crypto.randomUUID()}`, store: memoryStore, staleCache: false, ...page, fetch: pageFetch } as never);
	made.push(client);
	return { api, client, asked: () => asked };
};

const root = join(import.meta.dirname, '../..');

/**
 * The `index`th `ts` block of the README section `heading`, run as a module over src/ (written under
 * test-results/`dir`; its `api` exported, and put in `made` to be closed).
 */
export const readmeRecipe = async <T>(made: Array<{ close(): void }>, dir: string, heading: string, index = 0): Promise<T> => {
	const readme = readFileSync(join(root, 'README.md'), 'utf8');
	const section = readme.slice(readme.indexOf(`### ${heading}`));
	const code = [...section.matchAll(/^```ts\n([\s\S]*?)^```$/gm)][index]![1]!;
	const written = join(root, 'test-results', dir);
	mkdirSync(written, { recursive: true });
	const file = join(written, `recipe-${crypto.randomUUID()}.ts`);
	writeFileSync(file, `${code.replace("from 'steadfetch'", `from '${join(root, 'src/entries/index.js')}'`)}${/^export const api\b/m.test(code) ? '' : '\nexport { api };'}\n`);
	const module = await import(/* @vite-ignore */ file) as T & { api: { close(): void } };
	made.push(module.api);
	return module;
};
