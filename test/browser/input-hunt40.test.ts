/**
 * Defect hunt, fortieth round, in real Chromium: a value of fetch's RequestInit enumerations it does not list is refused in
 * the words every build uses (Node's, and workerd's since this round: test/workerd/input-hunt40.test.ts), naming the option,
 * never Chromium's own ("Failed to construct 'Request': The provided value 'bogus' is not a valid enum value of type
 * RequestCredentials."); a client-level `method` fetch forbids is a RangeError naming `method`.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';

let made = 0;

describe('bad RequestInit values in Chromium: the same named refusal as in every build', () => {
	it.each([['credentials', 'bogus', 'omit, same-origin, include'], ['mode', 'navigate', 'same-origin, no-cors, cors'], ['priority', 'urgent', 'high, low, auto']])('%s: %j per call and at createClient', async (name, value, listed) => {
		const said = `\`${name}\` is refused by fetch: ${value} is not an accepted type. Expected one of ${listed}.`;
		let fetched = 0;
		const api = createClient({ store: memoryStore, name: `h40-chromium-${++made}`, retry: 0, fetch: async () => {
			fetched++;
			return new Response('ok');
		} });
		const error = await api.get('https://api.test/x', { [name]: value } as never).catch((error: Error) => error);
		api.close();
		// Before: "Invalid request: `credentials` is refused by fetch: Failed to construct 'Request': The provided value 'bogus' is not a valid enum value …".
		expect(`${(error as Error).name} ${(error as Error).message}; fetch ${fetched}`).toBe(`InvalidRequestError Invalid request: ${said}; fetch 0`);
		expect(() => createClient({ [name]: value } as never)).toThrow(said);
	});

	it('a client-level `method: "TRACE"`: a TypeError naming `method`', () => {
		expect(() => createClient({ method: 'TRACE' })).toThrow(new TypeError('`method` is refused by fetch: "TRACE" is not a method fetch sends: a token, not CONNECT, TRACE or TRACK.'));
	});
});
