/**
 * Defect hunt, thirty-seventh round: the trace slot, `otel()` and `logger()` — secrets and bounds. Each test against the
 * line of API.md or the TSDoc it broke.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';

describe('a logger sink that fails never fails a call, also asynchronously', () => {
	const reasons: unknown[] = [];
	const note = (reason: unknown): void => {
		reasons.push(reason);
	};

	afterEach(() => {
		process.off('unhandledRejection', note);
	});

	it('an async sink (a remote log shipper) that rejects: no unhandled rejection, the call succeeds', async () => {
		process.on('unhandledRejection', note);
		const failing = async (_record: LogRecord): Promise<void> => {
			throw new Error('log shipper down');
		};

		const api = createClient({ logger: logger({ info: failing, warn: failing, error: failing }), retry: 0, fetch: (async () => new Response('ok')) as typeof fetch });
		expect((await api.get('https://api.example.com/x')).status).toBe(200);
		// Unhandled rejections are told after a macrotask turn.
		await new Promise<void>((resolve) => {
			setImmediate(resolve);
		});
		await new Promise<void>((resolve) => {
			setImmediate(resolve);
		});
		api.close();
		expect(reasons.map(String)).toEqual([]);
	});
});
