/**
 * A Node script that queued writes exits when its work is done, without `close()`: the outbox's retry
 * timer does not hold the process (issue 13); after `close()`, neither does a pending `onConflict`
 * (issue 33). Runs the built library (dist/) in a child process.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

describe('a Node script with the outbox', () => {
	it('exits by itself once its calls are done, with a write still pending', () => {
		const script = `
			import { createClient, memoryStore, outbox } from ${JSON.stringify(join(root, 'dist/index.js'))};
			const api = createClient({ store: memoryStore, retry: 0, breaker: false, outbox: outbox({ baseBackoffMs: 60_000 }) });
			// Port 9 (discard) refuses: the write is queued, its retry due in about a minute.
			const outcome = await api.post('http://127.0.0.1:2/m', { json: { a: 1 } }).then(() => 'sent', (error) => error.code);
			console.log(outcome, await api.outbox.size());
		`;
		const started = Date.now();
		const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });
		expect(result.signal, result.stderr).toBeNull();
		expect(result.status, result.stderr).toBe(0);
		expect(result.stdout.trim()).toBe('QUEUED 1');
		expect(Date.now() - started).toBeLessThan(15_000);
	});

	it('exits at once after close() while onConflict never answers (its 10 s limit holds nothing)', () => {
		const script = `
			import { createServer } from 'node:http';
			import { createClient, memoryStore, outbox } from ${JSON.stringify(join(root, 'dist/index.js'))};
			let hits = 0;
			// The first attempt fails (503: queued), the replay meets a conflict (412).
			const server = createServer((request, response) => response.writeHead(++hits === 1 ? 503 : 412).end());
			await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
			let closedAt;
			process.on('exit', () => console.log(Date.now() - closedAt));
			const api = createClient({ store: memoryStore, retry: 0, breaker: false, staleCache: false, outbox: outbox({ baseBackoffMs: 60_000, onConflict: () => {
				api.close();
				server.close();
				server.closeAllConnections();
				closedAt = Date.now();
				return new Promise(() => undefined);
			} }) });
			await api.put('http://127.0.0.1:' + server.address().port + '/doc', { body: 'mine', headers: { 'if-match': '"v1"' } }).catch(() => undefined);
			void api.outbox.flush();
		`;
		const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });
		expect(result.signal, result.stderr).toBeNull();
		expect(result.status, result.stderr).toBe(0);
		expect(Number(result.stdout.trim())).toBeLessThan(5000); // before: 10 000 ms
	});
});
