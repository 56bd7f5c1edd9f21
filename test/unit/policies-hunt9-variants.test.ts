/** The policies outside the breaker, the cache and the outbox: round-9 variants. */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';

describe('logger() options', () => {
	it('a level that is a name of Object.prototype (toString, constructor, __proto__) is a RangeError at the factory, never read as "write everything"', () => {
		for (const level of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
			expect(() => logger(console, { level: level as never }), level).toThrow(RangeError);
		}
	});

	it('level: \'error\' writes no info record (the levels still rank)', async () => {
		const records: LogRecord[] = [];
		const sink = { info: (record: LogRecord) => records.push(record), warn: (record: LogRecord) => records.push(record), error: (record: LogRecord) => records.push(record) };
		const api = createClient({ retry: 0, logger: logger(sink, { level: 'error' }), fetch: async () => new Response('ok') });
		expect(await api.get('https://api.test/a').text()).toBe('ok');
		expect(records).toEqual([]);
		api.close();
	});
});
