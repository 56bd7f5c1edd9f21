/**
 * One module-level client that meets 30,000 origins (a crawler, a Worker) holds no more memory for
 * it than for the last thousand (issue 33): the heap after a full GC grows by at most 5 MiB from a
 * warm-up of 3,000 origins to 30,000 more, with the preset's defaults and with every slot filled.
 * Runs the built library (dist/) in isolated `node --expose-gc` processes, both at once
 * (test/fixtures/scope-flood.mjs prints the figures; run it by hand to see them).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const limit = 5 * 2 ** 20;

/** The fixture's JSON line for `mode`, or its failure. */
const flood = async (mode: 'defaults' | 'every'): Promise<{ growth: number; scopes: number }> => new Promise((resolve, reject) => {
	const child = spawn(process.execPath, ['--expose-gc', join(root, 'test/fixtures/scope-flood.mjs'), mode, '30000', '3000'], { cwd: root });
	let out = '';
	let err = '';
	child.stdout.on('data', (chunk: Buffer) => {
		out += chunk.toString();
	});
	child.stderr.on('data', (chunk: Buffer) => {
		err += chunk.toString();
	});
	child.on('error', reject);
	child.on('close', (code) => {
		if (code === 0) {
			resolve(JSON.parse(out.trim().split('\n').at(-1)!) as { growth: number; scopes: number });
		} else {
			reject(new Error(`scope-flood.mjs ${mode} exited with ${code}: ${err}`));
		}
	});
});

describe('30,000 distinct origins through one client', () => {
	it('grow the heap by at most 5 MiB after warm-up, with the defaults and with every policy', async () => {
		const [defaults, every] = await Promise.all([flood('defaults'), flood('every')]);
		for (const run of [defaults, every]) {
			expect(run.growth).toBeLessThanOrEqual(limit);
			expect(run.scopes).toBeLessThanOrEqual(1000);
		}
	}, 600_000);
});
