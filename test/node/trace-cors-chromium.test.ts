/**
 * trace across origins in real Chromium (issue 22): an API on another origin that allows only simple
 * cross-origin requests (no Access-Control-Allow-Headers, its preflight refused) stays reachable with
 * `trace: true`, because the trace headers go only to the client's own origins by default; the page's
 * own origin still gets them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, startPageServer, type Chromium, type PageServer } from '../helpers/pages.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

let chromium: Chromium;
let pages: PageServer;
let simple: RunningServer;
let preflights = 0;
/** The headers of each non-preflight request the simple-CORS API got. */
const received: Array<Record<string, string>> = [];

beforeAll(async () => {
	simple = await serve((request) => {
		if (request.method === 'OPTIONS') {
			preflights++;
			return new Response('no preflight here', { status: 403 });
		}

		received.push(Object.fromEntries(request.headers));
		return new Response('{"ok":true}', { headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*' } });
	});
	[chromium, pages] = await Promise.all([launchChromium(), startPageServer()]);
}, 60_000);

afterAll(async () => {
	await Promise.all([chromium?.close(), pages?.close(), simple?.close()]);
});

/** A GET through a client made in the page with `options`: the body, or the error's name. */
const call = async (page: Awaited<ReturnType<typeof openPage>>, url: string, options: Record<string, unknown>) => page.evaluate(async ({ url, options }) => {
	const { createClient, trace } = (globalThis as unknown as { steadfetch: typeof import('../../src/entries/index.js') & typeof import('../../src/entries/trace.js') }).steadfetch;
	const { trace: traceOptions, ...rest } = options;
	const api = createClient({ retry: 0, breaker: false, staleCache: false, ...rest, ...(traceOptions ? { trace: trace(traceOptions === true ? {} : traceOptions as object) } : {}) });
	try {
		return { body: await api.get(url).text() };
	} catch (error) {
		return { error: (error as Error).name };
	} finally {
		api.close();
	}
}, { url, options });

describe('trace and CORS (real Chromium)', () => {
	it('a simple-CORS API on another origin is reachable with trace on and gets no trace header; the page\'s own origin gets them', async () => {
		const context = await chromium.context();
		const page = await openPage(context, pages);

		expect(await call(page, `${simple.url}/data`, { trace: true })).toEqual({ body: '{"ok":true}' });
		expect(preflights).toBe(0);
		expect(received).toHaveLength(1);
		expect(Object.keys(received[0]!).filter((name) => name === 'x-request-id' || name === 'traceparent')).toEqual([]);

		// The same origin (location.origin, in the default) gets both headers.
		const own = `${pages.url}/dist/browser/index.js`;
		const [request] = await Promise.all([page.waitForRequest(own), call(page, own, { trace: true })]);
		const headers = await request.allHeaders();
		expect(headers['x-request-id']).toMatch(/^[\da-f-]{36}$/);
		expect(headers['traceparent']).toMatch(/^00-[\da-f]{32}-[\da-f]{16}-01$/);

		// The case is real: with propagateTo '*' the headers force the preflight the API refuses.
		expect(await call(page, `${simple.url}/data`, { trace: { propagateTo: '*' } })).toEqual({ error: 'NetworkError' });
		expect(preflights).toBe(1);
		expect(received).toHaveLength(1);
		await context.close();
	}, 60_000);
});
