/**
 * Secrets kept out of storage, events, log records and spans, in the variants earlier hunts did not try
 * (defect hunt, twentieth round): a sensitive query parameter written as a list's member (`access_token[]=`,
 * `access_token[0]=`, `access_token%5B%5D=`), as axios, `qs` and HTML forms send an array and as PHP, Rails
 * and `qs` read it back: the parameter `access_token`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, createClient, memoryStore, type Client, outbox, type OutboxPolicy } from '../../src/entries/index.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';
import { trace } from '../../src/entries/trace.js';
import { redact, sensitiveParamSet, splitSensitive } from '../../src/utils/sensitive.js';
import { dumpStore as dump } from '../helpers/dump-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { createHandler, createState } from '../helpers/server-handler.js';
import { until } from './outbox-helpers.js';

let server: RunningServer;
beforeAll(async () => {
	server = await serve(createHandler(createState()));
});
afterAll(async () => server.close());

let names = 0;
const setup = () => {
	const store = memoryStore('secrets-hunt20');
	const events: unknown[] = [];
	const records: LogRecord[] = [];
	const sink = { info: (record: LogRecord) => records.push(record), warn: (record: LogRecord) => records.push(record), error: (record: LogRecord) => records.push(record) };
	const api = createClient({
		baseUrl: `${server.url}/`, clock: new ManualClock(), store: () => store, name: `secrets-hunt20-${names++}`, retry: 0, breaker: false, random: () => 0.5,
		staleCache: { shared: false }, outbox: outbox({ baseBackoffMs: 1000 }), logger: logger(sink), trace: trace(),
	}) as Client<{ outbox: OutboxPolicy }>;
	api.on('*', (event) => events.push(event));
	return { api, store, events, records };
};

const leaks = /S-\w+/;

describe('a sensitive parameter written as a list\'s member (access_token[]=)', () => {
	it('redact() removes its values however the brackets are written, and keeps every other name', () => {
		const params = sensitiveParamSet({ sensitiveParams: ['ids[]'] });
		expect(redact('https://a.test/p?access_token[]=S-1&access_token[]=S-2&q=1', params)).toBe('https://a.test/p?access_token[]=&access_token[]=&q=1');
		expect(redact('https://a.test/p?q=1&ACCESS_TOKEN%5B%5D=S-3', params)).toBe('https://a.test/p?q=1&ACCESS_TOKEN%5B%5D=');
		expect(redact('https://a.test/p?%61pi_key[0]=S-4&password[new]=S-5', params)).toBe('https://a.test/p?%61pi_key[0]=&password[new]=');
		expect(redact('https://a.test/#/cb?token[]=S-6&x=1', params)).toBe('https://a.test/#/cb?token[]=&x=1');
		expect(splitSensitive('https://a.test/p?sig[]=S-7', params).found).toBe('sig[]=S-7\n');
		// A name given with its brackets matches as given; a longer name, or an unclosed bracket, is another parameter (a
		// sensitive name nested in another's brackets is that parameter since the 21st hunt: auth-hunt21-variants.test.ts).
		expect(redact('https://a.test/p?ids[]=S-8', params)).toBe('https://a.test/p?ids[]=');
		const kept = 'https://a.test/p?user[tokens]=1&tokens[]=2&filter[keys]=3&token[=4&xtoken[]=5';
		expect(redact(kept, params)).toBe(kept);
	});

	it('a read: no stored copy, key, cache.list() entry, event or log record holds its value; the copy still answers', async () => {
		const { api, store, events, records } = setup();
		await api.get('json?id=list&access_token[]=S-a1&access_token[]=S-a2&page=2').json();
		await api.get('json', { searchParams: { id: 'encoded', 'api_key[]': 'S-b1' } }).json();
		await until(async () => (await api.cache.list()).length === 2);
		expect((await api.cache.list()).map(({ url }) => url).sort()).toEqual([
			`${server.url}/json?id=encoded&api_key%5B%5D=`,
			`${server.url}/json?id=list&access_token[]=&access_token[]=&page=2`,
		]);
		expect(await dump(store)).not.toMatch(leaks);
		expect(JSON.stringify(events)).not.toMatch(leaks);
		expect(JSON.stringify(records)).not.toMatch(leaks);
		// Keyed by a digest of its values: the same token's read finds its copy, cache.delete() of the URL removes it.
		await api.cache.delete('json?id=list&access_token[]=S-a1&access_token[]=S-a2&page=2');
		expect((await api.cache.list()).map(({ url }) => url)).toEqual([`${server.url}/json?id=encoded&api_key%5B%5D=`]);
		api.close();
	});

	it('a write is sent as with outbox: false, never queued with it', async () => {
		const { api, store, events } = setup();
		for (const query of ['access_token[]=S-c1', 'token%5B0%5D=S-c2']) {
			const error = await api.post(`mutate?id=list-post&fail=503&${query}`, { json: {} }).catch((error_: unknown) => error_);
			expect(classify(error).code).toBe('HTTP_5XX');
		}

		expect(await api.outbox.size()).toBe(0);
		expect(await dump(store)).not.toMatch(leaks);
		expect(JSON.stringify(events)).not.toMatch(leaks);
		api.close();
	});
});
