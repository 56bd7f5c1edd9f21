/**
 * A write whose body is too large to store, refused with `OutboxFullError` (the origin refuses the
 * connection, so it must be stored), leaves a Node process running and exiting cleanly: a `FormData`
 * with a 2 MiB file crashed it (Node's multipart serializer threw `ERR_INVALID_STATE: ReadableStream
 * is already closed` outside any promise once the outbox cancelled its stream half-way). Its
 * neighbours too: a FormData of many fields whose serialization alone passes `maxBodyBytes`, a Blob,
 * bytes, a string, URLSearchParams, a `Request` carrying a FormData. Runs dist/ in a child process.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

const bodies: Record<string, string> = {
	'a FormData with a 2 MiB file': `(() => { const form = new FormData(); form.append('file', new Blob([big]), 'big.bin'); return form; })()`,
	'a FormData of 3 000 fields, over 1 MiB only once serialized': `(() => { const form = new FormData(); for (let i = 0; i < 3000; i++) form.append('field' + i, 'x'.repeat(300)); return form; })()`,
	'a Blob': 'new Blob([big])',
	'bytes': 'big',
	'a string': `'x'.repeat(big.byteLength)`,
	'URLSearchParams': `new URLSearchParams({ a: 'x'.repeat(big.byteLength) })`,
};

const run = (call: string): ReturnType<typeof spawnSync> => {
	const script = `
		import { createClient, memoryStore, outbox } from ${JSON.stringify(join(root, 'dist/index.js'))};
		const api = createClient({ store: memoryStore, retry: 0, breaker: false, outbox: outbox({ maxFileBytes: 1_048_576 }) }); // Files (2 MiB) over maxFileBytes too.
		const big = new Uint8Array(2 * 1024 * 1024);
		const url = 'http://127.0.0.1:2/upload'; // Nothing listens on port 2 (not one fetch blocks): refused, the write must be stored.
		const outcome = await ${call}.then(() => 'sent', (error) => error.name + ' ' + error.code);
		// What the platform does after the call was answered (the serializer's next chunk) must not end the process.
		await new Promise((resolve) => setTimeout(resolve, 300));
		console.log(outcome, await api.outbox.size());
	`;
	return spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
};

describe('a body too large for the outbox in a Node process', () => {
	it.each(Object.entries(bodies))('%s: OutboxFullError, nothing stored, the process exits 0', (_, body) => {
		const result = run(`api.post(url, { body: ${body} })`);
		expect(result.signal, String(result.stderr)).toBeNull();
		expect(result.status, String(result.stderr)).toBe(0);
		expect(String(result.stdout).trim()).toBe('OutboxFullError OUTBOX_FULL 0');
	});

	it('a Request carrying a FormData with a 2 MiB file: the same', () => {
		const result = run(`api(new Request(url, { method: 'POST', body: (() => { const form = new FormData(); form.append('file', new Blob([big]), 'big.bin'); return form; })() }))`);
		expect(result.status, String(result.stderr)).toBe(0);
		expect(String(result.stdout).trim()).toBe('OutboxFullError OUTBOX_FULL 0');
	});
});
