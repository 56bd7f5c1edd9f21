/** `logger` (issue 16): one structured record per call outcome and per notable event; no secret in any. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';
import { SteadfetchError } from '../../src/entries/core.js';
import { trace } from '../../src/entries/trace.js';
import { hedge } from '../../src/entries/hedge.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { createHandler } from '../helpers/server-handler.js';

let server: RunningServer;
beforeAll(async () => {
	server = await serve(createHandler());
});
afterAll(async () => server.close());

const capture = () => {
	const records: LogRecord[] = [];
	const logger = { info: (record: LogRecord) => records.push(record), warn: (record: LogRecord) => records.push(record), error: (record: LogRecord) => records.push(record) };
	return { records, logger };
};

describe('logger', () => {
	it('a call with two retries: retry records and one call record with the request id, redacted URL, attempts and duration', async () => {
		const clock = new ManualClock();
		const { records, logger: sink } = capture();
		const api = createClient({ clock, logger: logger(sink), baseUrl: server.url, trace: trace(), staleCache: false, breaker: false, retry: { limit: 2, delay: () => 0 } });
		const response = await api.get(`${server.url}/plan/503,503,200?id=log&access_token=s3cret`, { headers: { authorization: 'Bearer t0ken' } });
		expect(response.status).toBe(200);
		const requestId = (await api.get(`${server.url}/echo?id=log2`).json<{ headers: Record<string, string> }>()).headers['x-request-id'];
		const redacted = `${server.url}/plan/503,503,200?id=log&access_token=`;
		expect(records.slice(0, 3)).toEqual([
			{ event: 'retry', level: 'warn', severity: 'expected', scope: server.url, method: 'GET', url: redacted, code: 'HTTP_5XX', attempt: 2 },
			{ event: 'retry', level: 'warn', severity: 'expected', scope: server.url, method: 'GET', url: redacted, code: 'HTTP_5XX', attempt: 3 },
			{ event: 'call', level: 'info', severity: 'expected', scope: server.url, requestId: expect.stringMatching(/^[\da-f-]{36}$/), method: 'GET', url: redacted, status: 200, attempt: 3, durationMs: 0 },
		]);
		expect(records[3]).toMatchObject({ event: 'call', requestId, status: 200, attempt: 1 });
		expect(JSON.stringify(records)).not.toMatch(/s3cret|t0ken/);
		api.close();
	});

	it('the call record has the request id the server got also when the attempt was a copy of the call\'s request (with hedge, with dedupe)', async () => {
		for (const [name, slots] of Object.entries({ hedge: { hedge: hedge({ delayMs: 5_000 }) }, dedupe: { dedupe: dedupe() } })) {
			const { records, logger: sink } = capture();
			const api = createCore({ logger: logger(sink), baseUrl: server.url, trace: trace(), retry: 0, ...slots });
			const sent = (await api.get(`${server.url}/echo?id=log-${name}`).json<{ headers: Record<string, string> }>()).headers['x-request-id'];
			expect(sent, name).toMatch(/^[\da-f-]{36}$/);
			expect(records, name).toEqual([expect.objectContaining({ event: 'call', requestId: sent })]);
			api.close();
		}
	});

	it('failures: expected ones warn, unexpected ones are errors; breaker changes and outbox writes are logged', async () => {
		const { records, logger: sink } = capture();
		const api = createClient({ logger: logger(sink), retry: 0, staleCache: false, store: memoryStore, breaker: { consecutiveFailures: 1 }, outbox: outbox() });
		await api.get(`${server.url}/status/404?id=l3`).catch(() => undefined);
		await api.post(`${server.url}/mutate?id=l4&fail=503`, { json: { a: 1 } }).catch(() => undefined);
		await api.get('not a url at all').catch(() => undefined);
		expect(records[0]).toMatchObject({ status: 404, code: 'HTTP_4XX' });
		const summary = records.map(({ event, level, severity, code, status }) => [event, level, severity, code ?? status]);
		expect(summary).toEqual([
			['call', 'warn', 'expected', 'HTTP_4XX'],
			['breaker:open', 'warn', 'expected', undefined],
			['outbox:queued', 'info', 'expected', 'HTTP_5XX'],
			['call', 'warn', 'expected', 'QUEUED'],
			['call', 'error', 'unexpected', 'INVALID_REQUEST'],
		]);
		api.close();
	});

	it('failures whose errors name the URL (ky\'s HTTPError, TimeoutError, a retry\'s error): no record carries an error message, and every URL is redacted, encoded names too', async () => {
		const { records, logger: sink } = capture();
		const api = createCore({ logger: logger(sink), retry: { limit: 1, delay: () => 0 } });
		await api.get(`${server.url}/status/500?id=l9&token=TOPSECRET&tok%65n=ENCODED`).catch(() => undefined);
		await api.get(`${server.url}/hang?id=l9&token=TOPSECRET`, { timeout: 50, retry: 0 }).catch(() => undefined);
		expect(records.map(({ event, code, url }) => [event, code, url])).toEqual([
			['retry', 'HTTP_5XX', `${server.url}/status/500?id=l9&token=&tok%65n=`],
			['call', 'HTTP_5XX', `${server.url}/status/500?id=l9&token=&tok%65n=`],
			['call', 'TIMEOUT', `${server.url}/hang?id=l9&token=`],
		]);
		expect(JSON.stringify(records)).not.toMatch(/TOPSECRET|ENCODED|Request failed|timed out/);
		api.close();
	});

	it('a logger that throws never fails a call; a bad logger is a RangeError at creation', async () => {
		const boom = () => {
			throw new Error('disk full');
		};

		const api = createCore({ logger: logger({ info: boom, warn: boom, error: boom }), retry: 0 });
		expect((await api.get(`${server.url}/json?id=l5`)).status).toBe(200);
		api.close();
		expect(() => logger({ info: () => undefined } as never)).toThrow(/logger/);
		expect(() => logger('console' as never)).toThrow(RangeError);
	});
});

describe('logger and a policy\'s own error codes (defect hunt, twelfth round)', () => {
	it('a call failed with a policy\'s transient error is a transient failure: `warn`, `expected`, as a built-in policy\'s refusal (RATE_LIMITED); its non-transient one `error`, `unexpected`', async () => {
		const { records, logger: sink } = capture();
		// An app's policy refusing every attempt with its own SteadfetchError (API.md "Your own policies").
		const refusing = (code: string, transient: boolean) => ({
			slot: 'gate', create: () => ({ layer: () => async () => Promise.reject(new SteadfetchError('Refused by the gate', code as never, transient)) }),
		});
		for (const [code, transient] of [['GATE_BUSY', true], ['GATE_DENIED', false]] as const) {
			const api = createCore({ retry: 0, logger: logger(sink), gate: refusing(code, transient) } as never);
			await api.get('https://api.test/a').catch(() => undefined);
			api.close();
		}

		// Before: GATE_BUSY was { level: 'error', severity: 'unexpected' }, as an error of the app's own code.
		expect(records.map(({ level, severity, code }) => ({ level, severity, code }))).toEqual([
			{ level: 'warn', severity: 'expected', code: 'GATE_BUSY' },
			{ level: 'error', severity: 'unexpected', code: 'GATE_DENIED' },
		]);
	});
});
