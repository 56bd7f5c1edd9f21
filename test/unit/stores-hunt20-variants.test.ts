/**
 * Defect hunt, twentieth round: storage on a request's path, distrust of stored records (API.md "Sensitive data":
 * "Records read from storage … are validated before use: a malformed record is ignored and reported as
 * `storage:error`"). Each test names the claim it holds the code to.
 */
import { describe, expect, it } from 'vitest';
import { createClient, isStale, type StorageErrorEvent } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { mapStore } from '../helpers/test-stores.js';
import { next } from './cache-kit.js';

/** A client on a store over `records`, whose origin answers `{"fresh":true}` (14 bytes), or while `down` fails as a dropped connection. */
const origin = (records: Map<string, unknown>) => {
	const state = { down: false };
	const errors: string[] = [];
	const api = createClient({
		name: 'hunt20-stores', clock: new ManualClock(), store: mapStore(records), retry: 0, breaker: false, random: () => 0.5,
		fetch: async () => {
			if (state.down) {
				throw new TypeError('fetch failed');
			}

			return Response.json({ fresh: true });
		},
	});
	api.on('storage:error', ({ part, operation }: StorageErrorEvent) => errors.push(`${part} ${operation}`));
	return { api, state, errors };
};

/** What a GET of `url` got while the origin is down: the stale copy's Content-Length, Content-Encoding and body, or the error's name. */
const whileDown = async ({ api, state }: ReturnType<typeof origin>, url: string): Promise<string> => {
	state.down = true;
	try {
		const response = await api.get(url);
		return `${isStale(response) ? 'stale' : 'fresh'} ${response.headers.get('content-length')} ${response.headers.get('content-encoding')} ${await response.text()}`;
	} catch (error) {
		return (error as Error).name;
	} finally {
		state.down = false;
	}
};

describe('a stored copy holding a header the cache never stores (one that no longer describes the decoded body) is never served', () => {
	for (const [name, value] of [['content-length', '99999'], ['content-encoding', 'gzip'], ['transfer-encoding', 'chunked'], ['Content-Length', '1']] as const) {
		it(`a record whose headers hold ${name}: ${value} is malformed: not served (the call fails as without a copy), storage:error once, and a fresh answer replaces it`, async () => {
			const records = new Map<string, unknown>();
			const client = origin(records);
			const stored = next(client.api, 'cache:stored');
			await client.api.get('https://a.test/item').text();
			await stored;
			const record = [...records.values()][0] as { headers: Array<[string, string]> };
			expect(record.headers.some(([header]) => /^(content-length|content-encoding|transfer-encoding)$/i.test(header))).toBe(false); // `write` never keeps one.
			record.headers.push([name, value]);

			// Before: 'stale 99999 null {"fresh":true}' (a Content-Length over 14 bytes: a proxy or a service worker passing it on
			// truncates or hangs), 'stale null gzip {"fresh":true}' (decoded bytes said to be gzip), and no storage:error.
			expect(await whileDown(client, 'https://a.test/item')).toBe('NetworkError');
			expect(client.errors).toEqual(['cache decode']);

			const again = next(client.api, 'cache:stored');
			expect(await client.api.get('https://a.test/item').json()).toEqual({ fresh: true });
			await again;
			expect(await whileDown(client, 'https://a.test/item')).toBe('stale null null {"fresh":true}');
			expect(client.errors).toEqual(['cache decode']);
		});
	}

	it('neighbours: a record as `write` gives it is served (no Content-Length, the decoded bytes); one holding a Set-Cookie or naming Authorization in its Vary still is not', async () => {
		const records = new Map<string, unknown>();
		const client = origin(records);
		const stored = next(client.api, 'cache:stored');
		await client.api.get('https://a.test/list').text();
		await stored;
		expect(await whileDown(client, 'https://a.test/list')).toBe('stale null null {"fresh":true}');

		// Each planted under the copy's key (the one found malformed before is deleted).
		const [key, record] = [...records][0] as [string, { headers: Array<[string, string]> }];
		records.set(key, { ...record, headers: [...record.headers, ['set-cookie', 'sid=1']] });
		expect(await whileDown(client, 'https://a.test/list')).toBe('NetworkError');
		records.set(key, { ...record, vary: [['authorization', null]] });
		expect(await whileDown(client, 'https://a.test/list')).toBe('NetworkError');
		expect(client.errors).toEqual(['cache decode', 'cache decode']);
	});
});
