/**
 * dedupe in real Chromium, against the built library (dist/): a call made without credentials never
 * shares the request of a cookie-credentialed one, so the anonymous caller never reads the signed-in
 * user's answer. The page and the API are two origins of one site (127.0.0.1, two ports): the
 * browser sends the site's cookie to the API only on a `credentials: 'include'` request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, startPageServer, type Chromium, type PageServer } from '../helpers/pages.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

type Lib = typeof import('../../src/entries/index.js') & typeof import('../../src/entries/dedupe.js');
type Scope = typeof globalThis & { steadfetch: Lib };

let chromium: Chromium;
let pages: PageServer;
let api: RunningServer;
/** The cookie each request to `/profile` carried (null without one). */
const seen: Array<string | null> = [];

beforeAll(async () => {
	// `/profile?ms=`: after `ms`, whose profile the request's cookie says (CORS with credentials for any origin).
	api = await serve(async (request) => {
		const cors = {
			'access-control-allow-origin': request.headers.get('origin') ?? '*',
			'access-control-allow-credentials': 'true',
			'content-type': 'application/json',
		};
		if (request.method === 'OPTIONS') {
			return new Response(null, { status: 204, headers: { ...cors, 'access-control-allow-headers': 'accept' } });
		}

		const cookie = request.headers.get('cookie');
		seen.push(cookie);
		await new Promise((resolve) => setTimeout(resolve, Number(new URL(request.url).searchParams.get('ms') ?? 0)));
		return new Response(JSON.stringify({ user: /(?:^|; )user=([^;]*)/.exec(cookie ?? '')?.[1] ?? 'anonymous' }), { headers: cors });
	});
	[chromium, pages] = await Promise.all([launchChromium(), startPageServer()]);
});

afterAll(async () => {
	await Promise.all([chromium?.close(), pages?.close(), api?.close()]);
});

describe('dedupe in real Chromium', () => {
	it('a credentials: \'omit\' call in flight beside a cookie-credentialed one is its own request: the anonymous caller never gets USER-ALICE\'s profile', async () => {
		const context = await chromium.context();
		await context.addCookies([{ name: 'user', value: 'USER-ALICE', domain: '127.0.0.1', path: '/', sameSite: 'Lax' }]);
		const page = await openPage(context, pages);
		for (const order of [['include', 'omit'], ['omit', 'include']] as const) {
			seen.length = 0;
			const users = await page.evaluate(async ({ url, order }) => {
				const client = (globalThis as Scope).steadfetch.createClient({ dedupe: (globalThis as Scope).steadfetch.dedupe(), retry: 0 });
				const answers = await Promise.all(order.map(async (credentials) => client.get(url, { credentials }).json<{ user: string }>()));
				client.close();
				return answers.map(({ user }) => user);
			}, { url: `${api.url}/profile?ms=200`, order });
			expect(users, order.join(' then ')).toEqual(order.map((credentials) => credentials === 'include' ? 'USER-ALICE' : 'anonymous'));
			expect(seen.sort(), order.join(' then ')).toEqual(['user=USER-ALICE', null].sort());
		}

		// Identical calls still share: two cookie-credentialed calls are one request.
		seen.length = 0;
		const shared = await page.evaluate(async (url) => {
			const client = (globalThis as Scope).steadfetch.createClient({ dedupe: (globalThis as Scope).steadfetch.dedupe(), retry: 0 });
			const answers = await Promise.all([1, 2].map(async () => client.get(url, { credentials: 'include' }).json<{ user: string }>()));
			client.close();
			return answers.map(({ user }) => user);
		}, `${api.url}/profile?ms=200`);
		expect(shared).toEqual(['USER-ALICE', 'USER-ALICE']);
		expect(seen).toEqual(['user=USER-ALICE']);
		await context.close();
	});
});
