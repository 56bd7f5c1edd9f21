/**
 * The browser build (API.md "Builds per runtime") in real Chromium: a browser client ignores
 * `deadlineHeader` (there is no incoming request), so a redirect is the browser's to follow: the
 * client's own origin answers 302 to a third party, each is asked once, neither gets the header, and
 * the page gets the third party's answer (the full build's `opaqueredirect` path sent the request
 * twice). `withContext` throws a `TypeError`: request contexts are for Workers and Deno. Uses dist/
 * (`npm run build`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, startPageServer, type Chromium, type PageServer } from '../helpers/pages.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

type Lib = typeof import('../../src/entries/index.js');
type Scope = typeof globalThis & { steadfetch: Lib };

let chromium: Chromium;
let pages: PageServer;
let own: RunningServer;
let third: RunningServer;
const seen: Array<{ where: string; path: string; deadline: string | null }> = [];
const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'request-timeout-ms', 'access-control-allow-methods': '*' };

beforeAll(async () => {
	own = await serve((request) => {
		if (request.method === 'OPTIONS') {
			return new Response(null, { status: 204, headers: cors });
		}

		const url = new URL(request.url);
		seen.push({ where: 'own', path: url.pathname, deadline: request.headers.get('request-timeout-ms') });
		return new Response(null, { status: 302, headers: { ...cors, location: `${third.url}/landed` } });
	});
	third = await serve((request) => {
		if (request.method === 'OPTIONS') {
			return new Response(null, { status: 204, headers: cors });
		}

		seen.push({ where: 'third', path: new URL(request.url).pathname, deadline: request.headers.get('request-timeout-ms') });
		return new Response('landed', { headers: cors });
	});
	[chromium, pages] = await Promise.all([launchChromium(), startPageServer()]);
}, 60_000);

afterAll(async () => {
	await Promise.all([chromium?.close(), pages?.close(), own?.close(), third?.close()]);
});

describe('the browser build in real Chromium', () => {
	it('ignores deadlineHeader: a 302 from the client\'s own origin to a third party is sent once, the page gets its answer, nobody the header', async () => {
		const context = await chromium.context();
		const tab = await openPage(context, pages);
		const answer = await tab.evaluate(async (base) => {
			const { steadfetch } = globalThis as Scope;
			const api = steadfetch.createClient({ baseUrl: `${base}/`, deadlineHeader: 'request-timeout-ms', retry: 0, staleCache: false, breaker: false });
			return api.get('away').then(async (response) => `${response.status} ${await response.text()}`, (error: unknown) => String(error));
		}, own.url);
		expect(answer).toBe('200 landed');
		expect(seen).toEqual([{ where: 'own', path: '/away', deadline: null }, { where: 'third', path: '/landed', deadline: null }]);
		await context.close();
	}, 60_000);

	it('withContext throws a TypeError saying it is for Workers and Deno, and how a Worker gets the build that has it', async () => {
		const context = await chromium.context();
		const tab = await openPage(context, pages);
		const thrown = await tab.evaluate(() => {
			const { steadfetch } = globalThis as Scope;
			const api = steadfetch.createClient({ deadlineHeader: 'request-timeout-ms' });
			try {
				api.withContext({ waitUntil: () => undefined });
				return 'no error';
			} catch (error) {
				return `${(error as Error).name}: ${(error as Error).message}`;
			}
		});
		expect(thrown).toMatch(/^TypeError: .*for Workers and Deno/);
		// A Worker bundled for the browser meets this first: the message says what to change.
		expect(thrown).toMatch(/bundle a Worker with the `workerd` condition/);
		await context.close();
	}, 60_000);
});
