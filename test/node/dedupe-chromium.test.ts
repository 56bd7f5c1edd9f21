/**
 * dedupe (and hedge) in real Chromium, against the built library (dist/): a call made without
 * credentials never shares the request of a cookie-credentialed one, so the anonymous caller never
 * reads the signed-in user's answer; a call's `referrerPolicy` holds for the request the policy
 * sends. The page and the API are two origins of one site (127.0.0.1, two ports): the browser sends
 * the site's cookie to the API only on a `credentials: 'include'` request, and a `Referer` (the
 * page's origin) unless the call's `referrerPolicy` says not to.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, startPageServer, type Chromium, type PageServer } from '../helpers/pages.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

type Lib = typeof import('../../src/entries/index.js') & typeof import('../../src/entries/dedupe.js') & typeof import('../../src/entries/hedge.js');
type Scope = typeof globalThis & { steadfetch: Lib };

let chromium: Chromium;
let pages: PageServer;
let api: RunningServer;
/** The cookie each request to `/profile` carried (null without one). */
const seen: Array<string | null> = [];
/** The `Referer` each request carried (null without one). */
const referers: Array<string | null> = [];

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
		referers.push(request.headers.get('referer'));
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

	it('a call\'s referrerPolicy holds for the request dedupe shares and for every attempt hedge sends: no-referrer sends no Referer', async () => {
		const context = await chromium.context();
		const page = await openPage(context, pages);
		/** Two identical calls with dedupe, or one hedged call; what the server saw as `Referer`. */
		const run = async (slot: 'dedupe' | 'hedge', referrerPolicy: ReferrerPolicy | undefined): Promise<Array<string | null>> => {
			referers.length = 0;
			await page.evaluate(async ({ url, slot, referrerPolicy }) => {
				const lib = (globalThis as Scope).steadfetch;
				const client = lib.createClient({ retry: 0, retryBudget: false, ...(slot === 'dedupe' ? { dedupe: lib.dedupe() } : { hedge: lib.hedge({ delayMs: 50 }) }) });
				// no-store: Chromium's HTTP cache would hold an identical request behind the first (its cache lock).
				await Promise.all((slot === 'dedupe' ? [1, 2] : [1]).map(async () => client.get(url, { cache: 'no-store', ...(referrerPolicy ? { referrerPolicy } : {}) }).json()));
				client.close();
			}, { url: `${api.url}/profile?ms=300`, slot, referrerPolicy });
			return [...referers];
		};

		// Without a policy of its own, Chromium sends the page's origin (the test can see a Referer).
		expect(await run('dedupe', undefined)).toEqual([`${pages.url}/`]);
		expect(await run('dedupe', 'no-referrer')).toEqual([null]);
		expect(await run('hedge', undefined)).toEqual([`${pages.url}/`, `${pages.url}/`]);
		expect(await run('hedge', 'no-referrer')).toEqual([null, null]);
		await context.close();
	});
});
