/**
 * `npm run demo` as a newcomer runs it (on the built dist/): the table's numbers come from what
 * happened, and the "Done when" of the main job holds: steadfetch loses no write, applies none twice,
 * and answers every read fresh or stale once the breaker has opened. ky, run through the same script,
 * shows why: it loses writes and fails reads.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('npm run demo: steadfetch 0 writes lost, 0 applied twice, every read answered once the breaker opened', () => {
	const file = join(mkdtempSync(join(tmpdir(), 'steadfetch-demo-')), 'summary.json');
	const started = performance.now();
	const run = spawnSync(process.execPath, ['demo/run.mjs', '--seed', '3', '--json', file], { cwd: join(import.meta.dirname, '../..'), encoding: 'utf8' });
	const seconds = (performance.now() - started) / 1000;
	expect(run.status, run.stderr + run.stdout).toBe(0);
	expect(run.stdout).toMatch(/calls made\s+\d+\s+\d+/);
	expect(run.stdout).toMatch(/breaker opened/);
	expect(seconds).toBeLessThan(60);

	const summary = JSON.parse(readFileSync(file, 'utf8'));
	const { ky, steadfetch } = summary;
	expect(steadfetch.writesLost).toBe(0);
	expect(steadfetch.writesAppliedTwice).toBe(0);
	expect(steadfetch.readsFailedAfterBreakerOpened).toBe(0);
	expect(steadfetch.readsStale).toBeGreaterThan(0);
	expect(steadfetch.writesQueued).toBeGreaterThan(0);
	// The same script through plain ky loses writes and fails reads: the numbers are measured, not typed.
	expect(ky.writesLost).toBeGreaterThan(0);
	expect(ky.readsFailed).toBeGreaterThan(0);
	expect(ky.callsMade + steadfetch.callsMade).toBeGreaterThan(200);
	expect(steadfetch.waitP99Ms).toBeLessThan(ky.waitP99Ms);
}, 90_000);
