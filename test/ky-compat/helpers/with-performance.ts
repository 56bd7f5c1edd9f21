// Ported from ky's test/helpers/with-performance.ts (https://github.com/sindresorhus/ky, commit 3419113),
// MIT licence: Copyright (c) Sindre Sorhus. See ../LICENSE. The assertion is ky's, made with vitest's `expect`.
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import type { ExpectStatic } from 'vitest';

type Argument = {
	/** The test context's `expect` (ava passes `t`). */
	expect: ExpectStatic;
	expectedDuration: number;
	test: () => Promise<void>;
};

// We allow the tests to take more time on CI than locally, to reduce flakiness
// Node.js 22+ has higher overhead on CI (~400-650ms), so we increase the tolerance
const nodeVersion = Number(process.versions.node.split('.')[0]);
const allowedOffset = process.env['CI'] ? (nodeVersion >= 22 ? 700 : 500) : 400;

export async function withPerformance({ expect, expectedDuration, test }: Argument) {
	const startTime = performance.now();
	await test();
	const endTime = performance.now();

	const duration = endTime - startTime;
	expect(
		Math.abs(duration - expectedDuration) < allowedOffset,
		`Duration of ${duration}ms is not close to expected duration ${expectedDuration}ms`,
	).toBe(true);
}
