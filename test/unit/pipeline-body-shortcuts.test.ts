/**
 * The open pipeline and ky's body shortcuts: a wrapper may read the body of the response its run gave
 * it and answer with a response of its own (API.md: an app's wrapper is not special), and
 * `api.get(url).json()` parses what the call resolved with. The shortcut's `Accept` goes on every
 * attempt of every run, as ky's shortcut sets it before it sends. Real loopback server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { createClient as createFullClient } from '../../src/entries/index.js';
import type { Policy, PolicyCall, RunOptions } from '../../src/entries/policy.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

let server: RunningServer;
/** The `Accept` of each request the server saw, by path. */
const accepts: Array<[string, string | null]> = [];
/** Paths answered with a 503 once before they answer (a retry). */
const failOnce = new Set<string>();

beforeAll(async () => {
	server = await serve((request) => {
		const { pathname, searchParams } = new URL(request.url);
		accepts.push([pathname, request.headers.get('accept')]);
		if (failOnce.delete(pathname)) {
			return new Response('busy', { status: 503 });
		}

		return Response.json({ n: Number(searchParams.get('n') ?? 1), path: pathname });
	});
});

afterAll(async () => server.close());

type Wrap = (call: PolicyCall, next: (extra?: RunOptions) => Promise<Response>) => Promise<Response>;
const wrapping = (wrap: Wrap, slot = 'mine'): Policy => ({ slot, create: () => ({ wrap }) });
const acceptOf = (path: string) => accepts.filter(([seen]) => seen === path).map(([, accept]) => accept);

/** Adds one to `n` of the JSON its run answered: it reads that body. */
const plusOne: Wrap = async (_call, next) => {
	const { n, path } = await (await next()).json() as { n: number; path: string };
	return Response.json({ n: n + 1, path });
};

describe('a wrapper that reads its run\'s body and answers with its own response', () => {
	it('.json() parses the wrapper\'s answer (it was "Body is unusable"), and the request asked for JSON', async () => {
		const api = createClient({ retry: 0, mine: wrapping(plusOne) } as never);
		await expect(api.get(`${server.url}/plus?n=41`).json()).resolves.toEqual({ n: 42, path: '/plus' });
		expect(acceptOf('/plus')).toEqual(['application/json']);
	});

	it('every shortcut: .text(), .arrayBuffer(), .blob() read the wrapper\'s answer', async () => {
		const api = createClient({ retry: 0, mine: wrapping(plusOne) } as never);
		await expect(api.get(`${server.url}/t?n=1`).text()).resolves.toBe('{"n":2,"path":"/t"}');
		expect(new TextDecoder().decode(await api.get(`${server.url}/b?n=2`).arrayBuffer())).toBe('{"n":3,"path":"/b"}');
		await expect((await api.get(`${server.url}/c?n=3`).blob()).text()).resolves.toBe('{"n":4,"path":"/c"}');
		expect([acceptOf('/t'), acceptOf('/b'), acceptOf('/c')]).toEqual([['text/*'], ['*/*'], ['*/*']]);
	});

	it('with the preset\'s built-in wrappers around it (the stale cache, the breaker): the same', async () => {
		const api = createFullClient({ name: 'shortcut-preset', retry: 0, mine: wrapping(plusOne) } as never);
		await expect(api.get(`${server.url}/preset?n=9`).json()).resolves.toEqual({ n: 10, path: '/preset' });
		await api.close();
	});

	it('a wrapper that reads its run\'s body through a clone and gives the run\'s own response back: ky parses it', async () => {
		const api = createClient({ retry: 0, mine: wrapping(async (_call, next) => {
			const response = await next();
			await response.clone().json();
			return response;
		}) } as never);
		await expect(api.get(`${server.url}/clone?n=5`).json()).resolves.toEqual({ n: 5, path: '/clone' });
	});
});

describe('the shortcut\'s Accept on every attempt of every run', () => {
	it('a run started after the wrapper waited (a token, a lock) asks for JSON too', async () => {
		const api = createClient({ retry: 0, mine: wrapping(async (_call, next) => {
			await new Promise((resolve) => setTimeout(resolve, 5));
			return next();
		}) } as never);
		await expect(api.get(`${server.url}/late?n=7`).json()).resolves.toEqual({ n: 7, path: '/late' });
		expect(acceptOf('/late')).toEqual(['application/json']);
	});

	it('a retry and a second run carry it; the wrapper gives back the first run\'s response, unread: ky parses that one', async () => {
		failOnce.add('/two');
		const api = createClient({ retry: { limit: 1, backoffLimit: 0 }, mine: wrapping(async (_call, next) => {
			const first = await next();
			await next({ headers: { 'x-run': '2' } }).then((second) => second.body?.cancel(), () => undefined);
			return first;
		}) } as never);
		await expect(api.get(`${server.url}/two?n=3`).json()).resolves.toEqual({ n: 3, path: '/two' });
		expect(acceptOf('/two')).toEqual(['application/json', 'application/json', 'application/json']);
	});

	it('a second run that fails: the first run\'s response, given back, is still parsed by its own run', async () => {
		let runs = 0;
		const api = createClient({ retry: 0, mine: wrapping(async (_call, next) => {
			const first = await next();
			await next({ headers: { 'x-fail': '1' } }).catch(() => undefined);
			return first;
		}), fetch: (async (request: Request) => {
			runs++;
			return request.headers.has('x-fail') ? Promise.reject(new TypeError('fetch failed')) : fetch(request);
		}) as typeof fetch } as never);
		await expect(api.get(`${server.url}/first?n=8`).json()).resolves.toEqual({ n: 8, path: '/first' });
		expect(runs).toBe(2);
	});

	it('an Accept the call gives stays; an empty one is replaced, as ky does', async () => {
		const api = createClient({ retry: 0, mine: wrapping(async (_call, next) => next()) } as never);
		await api.get(`${server.url}/own`, { headers: { accept: 'foo/bar' } }).json();
		await api.get(`${server.url}/empty`, { headers: { accept: '' } }).json();
		expect([acceptOf('/own'), acceptOf('/empty')]).toEqual([['foo/bar'], ['application/json']]);
	});

	it('no shortcut, no Accept of ours', async () => {
		const api = createClient({ retry: 0, mine: wrapping(async (_call, next) => next()) } as never);
		await (await api.get(`${server.url}/none`)).text();
		expect(acceptOf('/none')).toEqual(['*/*']);
	});
});
