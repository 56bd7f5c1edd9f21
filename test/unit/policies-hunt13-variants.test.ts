/** The other policies and TanStack Query: round-13 variants. */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { waitFor } from '../helpers/wait-for.js';

const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

describe('bulkhead() and a request\'s deadline (deadlineHeader)', () => {
	it('a slot held by an attempt the deadline ended comes back at the deadline, not at ky\'s timeout: the next call goes at once', async () => {
		const sent: string[] = [];
		// A transport that ignores the abort (the slot's lease is what takes the slot back then).
		const fetch = (async (request: Request) => {
			const path = new URL(request.url).pathname;
			sent.push(path);
			if (path === '/hang') {
				await new Promise(() => undefined);
			}

			return new Response('ok');
		}) as typeof globalThis.fetch;
		const api = createClient({ baseUrl: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0, fetch, bulkhead: bulkhead({ maxConcurrent: 1 }) });
		const here = api.withContext({ waitUntil: () => undefined }, { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '200' } }) });
		expect(await code(here.get('hang'))).toBe('TIMEOUT');
		// Before: the slot was held for ky's 10 s timeout; this call waited for it and ended with its own 1 500 ms timeout.
		expect(await code(api.get('next', { timeout: 1_500 }))).toBe('OK');
		expect(sent).toEqual(['/hang', '/next']);
		api.close();
	});

	it('an attempt already waiting for that slot gets it at the deadline (its timer is set for the deadline, not for ky\'s timeout)', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			const path = new URL(request.url).pathname;
			sent.push(path);
			if (path === '/hang') {
				await new Promise(() => undefined);
			}

			return new Response('ok');
		}) as typeof globalThis.fetch;
		const api = createClient({ baseUrl: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0, fetch, bulkhead: bulkhead({ maxConcurrent: 1 }) });
		const here = api.withContext({ waitUntil: () => undefined }, { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '200' } }) });
		const held = code(here.get('hang'));
		await waitFor(() => sent.length === 1, 'the first attempt to go out');
		// Queued behind it before its deadline. Before: it waited for ky's 10 s and ended with its own 1 500 ms timeout.
		const waiting = code(api.get('queued', { timeout: 1_500 }));
		expect([await held, await waiting, sent]).toEqual(['TIMEOUT', 'OK', ['/hang', '/queued']]);
		api.close();
	});
});
