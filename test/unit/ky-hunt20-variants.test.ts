/**
 * ky compatibility, hunt 20: `onDownloadProgress` reports the body of every answer the caller reads,
 * as ky's does, also of one a policy gave (a stale copy, a `fallback`), and only once for ky's own.
 */
import ky, { type Progress } from 'ky';
import { describe, expect, it } from 'vitest';
import { createClient, isFallback, isStale, memoryStore } from '../../src/entries/index.js';
import { waitFor } from '../helpers/wait-for.js';

const body = '{"v":1}';

/** An origin that answers `body` until `down`, then 503; with a client over it that has a copy of /a stored. */
const withCopy = async (options: object = {}) => {
	const origin = { down: false };
	const fetch = (async () => (origin.down ? new Response('down', { status: 503 }) : new Response(body, { headers: { 'content-type': 'application/json' } }))) as typeof globalThis.fetch;
	const api = createClient({ prefix: 'https://api.test/', store: memoryStore, fetch, breaker: false, retry: 0, random: () => 0.5, ...options });
	await api.get('a').text();
	await waitFor(async () => (await api.cache.list()).length === 1, 'the copy stored');
	origin.down = true;
	return api;
};

/** The progress events plain ky reports for `body`, read with `read`. */
const kysEvents = async (read: (promise: ReturnType<typeof ky.get>) => Promise<unknown>): Promise<Progress[]> => {
	const events: Progress[] = [];
	await read(ky.get('https://api.test/a', { fetch: async () => new Response(body, { headers: { 'content-type': 'application/json' } }), onDownloadProgress: (progress) => events.push(progress) }));
	return events;
};

describe('onDownloadProgress on an answer a policy gave', () => {
	it('a stale copy reports its body as ky reports a fresh one (the call\'s option, the client\'s, through the shortcuts)', async () => {
		const api = await withCopy();
		const events: Progress[] = [];
		const response = await api.get('a', { onDownloadProgress: (progress) => events.push(progress) });
		expect([isStale(response), await response.text()]).toEqual([true, body]);
		expect(events).toEqual(await kysEvents(async (promise) => (await promise).text()));

		const shortcut: Progress[] = [];
		expect(await api.get('a', { onDownloadProgress: (progress) => shortcut.push(progress) }).json()).toEqual({ v: 1 });
		expect(shortcut).toEqual(await kysEvents((promise) => promise.json()));

		const client: Progress[] = [];
		const child = api.extend({ onDownloadProgress: (progress) => client.push(progress) });
		expect(await child.get('a').text()).toBe(body);
		expect(client.at(-1)).toMatchObject({ percent: 1, transferredBytes: body.length });
		api.close();
		child.close();
	});

	it('a fallback answer reports its body, and keeps what it says of itself (isFallback, retriable)', async () => {
		const events: Progress[] = [];
		const api = createClient({ prefix: 'https://api.test/', store: memoryStore, staleCache: false, breaker: false, retry: 0, random: () => 0.5, fetch: async () => new Response('no', { status: 403 }) });
		const response = await api.get('a', { fallback: { v: 1 }, onDownloadProgress: (progress) => events.push(progress) });
		expect([isFallback(response), (response as { retriable?: boolean }).retriable, await response.json()]).toEqual([true, false, { v: 1 }]);
		expect(events.at(-1)).toMatchObject({ percent: 1, transferredBytes: body.length });
		api.close();
	});

	it('ky\'s own answer is reported once, with the stale cache taking its copy (as plain ky)', async () => {
		const events: Progress[] = [];
		const api = createClient({ prefix: 'https://api.test/', store: memoryStore, random: () => 0.5, fetch: async () => new Response(body, { headers: { 'content-type': 'application/json' } }) });
		const response = await api.get('a', { onDownloadProgress: (progress) => events.push(progress) });
		expect([isStale(response), await response.text()]).toEqual([false, body]);
		expect(events).toEqual(await kysEvents(async (promise) => (await promise).text()));
		await waitFor(async () => (await api.cache.list()).length === 1, 'the copy stored');
		api.close();
	});
});
