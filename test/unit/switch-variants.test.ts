/** Round-4 variants: every slot may be turned off per call, typed, checked and honoured (adaptiveThrottle, health). */
import { describe, expect, it } from 'vitest';
import { createClient, InvalidRequestError } from '../../src/entries/core.js';
import { adaptiveThrottle, ThrottledError } from '../../src/entries/throttle.js';
import { health } from '../../src/entries/health.js';
import { ManualClock } from '../helpers/manual-clock.js';

describe('per call { [slot]: false }', () => {
	it('{ adaptiveThrottle: false } is typed and turns the throttle off for the call; any other value is InvalidRequestError before any I/O', async () => {
		const sent: string[] = [];
		const api = createClient({
			clock: new ManualClock(), random: () => 0, retry: 0, adaptiveThrottle: adaptiveThrottle({ minRequests: 1 }),
			fetch: (async (request: Request) => {
				sent.push(new URL(request.url).pathname);
				return new Response('x', { status: sent.length === 1 ? 503 : 200 });
			}) as typeof fetch,
		});
		await expect(api.get('https://api.test/fail')).rejects.toMatchObject({ response: { status: 503 } });
		// One request, no accept: p = 1/2, and random() is 0: refused unless the throttle is off.
		await expect(api.get('https://api.test/refused')).rejects.toBeInstanceOf(ThrottledError);
		expect(await api.get('https://api.test/off', { adaptiveThrottle: false }).text()).toBe('x');
		for (const options of [{ adaptiveThrottle: 'off' }, { adaptiveThrottle: true }, { adaptiveThrottle: 0 }]) {
			// Before: the throttle stayed on (ThrottledError).
			await expect(api.get('https://api.test/wrong', options as never)).rejects.toBeInstanceOf(InvalidRequestError);
		}

		expect(sent).toEqual(['/fail', '/off']);
		api.close();
	});

	it('{ health: false } is typed and the call is not counted by health; any other value is InvalidRequestError before any I/O', async () => {
		const sent: string[] = [];
		const api = createClient({
			clock: new ManualClock(), retry: 0, health: health(),
			fetch: (async (request: Request) => {
				sent.push(new URL(request.url).pathname);
				return new Response('x', { status: 503 });
			}) as typeof fetch,
		});
		await expect(api.get('https://api.test/counted')).rejects.toMatchObject({ response: { status: 503 } });
		await expect(api.get('https://api.test/off', { health: false })).rejects.toMatchObject({ response: { status: 503 } });
		for (const options of [{ health: 'off' }, { health: true }, { health: {} }]) {
			// Before: sent and counted (a 503).
			await expect(api.get('https://api.test/wrong', options as never)).rejects.toBeInstanceOf(InvalidRequestError);
		}

		expect(sent).toEqual(['/counted', '/off']);
		expect(api.stats()['https://api.test']).toMatchObject({ errorRate: 1, topErrors: [{ code: 'HTTP_5XX', count: 1 }] });
		api.close();
	});
});
