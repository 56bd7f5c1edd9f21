/**
 * Defect hunt, ninth round (area C, bad input and the newcomer): API.md "Option values": "a value of
 * the wrong type or out of range … is a RangeError or TypeError naming the option where it is given
 * (`createClient`, …), and per call an `InvalidRequestError` before any I/O", never a failure of
 * every call later.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient, InvalidRequestError, memoryStore } from '../../src/entries/index.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

describe('a prefix or baseUrl that is no URL', () => {
	const broken = ['https://api.example.com:8O80/', 'http://[', 'https://api example.com/v1/'];

	it('is refused at createClient (and extend) naming the option, not accepted to fail every call saying "give the client an absolute prefix"', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(request.url);
			return new Response('ok');
		}) as typeof globalThis.fetch;
		for (const value of broken) {
			for (const name of ['prefix', 'baseUrl']) {
				expect(() => createClient({ [name]: value, fetch, store: memoryStore }), `${name}: ${value}`).toThrow(new RegExp(`\`${name}\``)); // before: created
				const api = createClient({ prefix: 'https://api.example.com/', fetch, store: memoryStore, retry: 0 });
				expect(() => api.extend({ [name]: value })).toThrow(new RegExp(`\`${name}\``));
				const refused = await api.get('users/1', { [name]: value }).catch((error: unknown) => error);
				expect(refused).toBeInstanceOf(InvalidRequestError);
				expect((refused as Error).message).toContain(`\`${name}\``); // before: 'Invalid request: Failed to parse URL from …; give the client an absolute `baseUrl` or `prefix`'
				api.close();
			}
		}

		expect(sent).toEqual([]);
		// A relative one stays accepted (a page resolves it), and so do the absolute ones a user means.
		for (const value of ['/api/', 'api/v1/', 'https://api.example.com:8080/v1/', new URL('https://api.example.com/'), false, '']) {
			createClient({ prefix: value as string, baseUrl: value as string, fetch, store: memoryStore }).close();
		}
	});
});

describe('a policy part that is not a function', () => {
	it('checkCall, settled, close, substituted or stats given as a value is a TypeError naming the slot and the part at createClient, as layer and wrap are; never a call rejected as the caller\'s INVALID_REQUEST "parts.checkCall is not a function"', async () => {
		const fetch = (async () => new Response('ok')) as typeof globalThis.fetch;
		for (const part of ['checkCall', 'settled', 'close', 'substituted', 'stats']) {
			const make = () => createClient({ fetch, store: memoryStore, audit: { slot: 'audit', create: () => ({ [part]: 5 }) } } as never);
			expect(make, part).toThrow(TypeError); // before (checkCall): created; a call with { audit: 1 } rejected InvalidRequestError 'parts.checkCall is not a function'
			expect(make, part).toThrow(new RegExp(`\`audit\` policy's \`${part}\``));
		}

		// null is no part, as before.
		createClient({ fetch, store: memoryStore, audit: { slot: 'audit', create: () => ({ checkCall: null, stats: null }) } } as never).close();
	});
});

describe('a request header Node\'s fetch (undici) refuses', () => {
	it('Transfer-Encoding, Upgrade, Keep-Alive, Expect or a Content-Length the body does not match: InvalidRequestError, not retried, the breaker and reachability untouched (not NETWORK)', async () => {
		// A plain server: undici sends a mismatched Content-Length's head, then drops the connection.
		let seen = 0;
		const server = createServer((request, response) => {
			request.on('error', () => undefined).resume().on('end', () => {
				seen++;
				response.end('ok');
			});
		});
		await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
		const api = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
		const client = createClient({ prefix: `${api.url}/`, name: `undici-${Math.random()}`, store: memoryStore, breaker: { consecutiveFailures: 1 }, retry: { limit: 2, methods: ['get', 'post'], delay: () => 0 } });
		let retries = 0;
		client.on('retry', () => {
			retries++;
		});
		try {
			const refusals = [
				{ headers: { 'transfer-encoding': 'chunked' }, method: 'post', body: 'xyz' },
				{ headers: { upgrade: 'websocket' } },
				{ headers: { 'keep-alive': 'timeout=5' } },
				{ headers: { expect: '100-continue' }, method: 'post', body: 'x' },
				{ headers: { 'content-length': '10' }, method: 'post', body: 'xyz' },
			];
			for (const options of refusals) {
				const refused = await client('refused', options).catch((error: unknown) => error);
				expect(refused, JSON.stringify(options)).toBeInstanceOf(InvalidRequestError); // before: NetworkError, classify NETWORK, the breaker open
				expect(classify(refused)).toEqual({ code: 'INVALID_REQUEST', transient: false });
			}

			expect(retries).toBe(0);

			expect(client.breaker(api.url).state).toBe('closed');
			expect(client.reachability(api.url)).toBe('unknown');
			expect(seen).toBe(0);
			// What undici takes still goes out.
			expect((await client.post('fine', { body: 'xyz', headers: { 'content-length': '3', connection: 'close' } })).status).toBe(200);
			expect(seen).toBe(1);
		} finally {
			client.close();
			server.closeAllConnections();
			await new Promise((closed) => server.close(closed));
		}
	});
});
