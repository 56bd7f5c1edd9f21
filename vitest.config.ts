import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { playwright } from '@vitest/browser-playwright';
import { dirname, resolve } from 'node:path';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { standIn } from './scripts/swaps.mjs';
import { chromiumArgs, findChromium } from './test/helpers/chromium.js';

const globalSetup = ['./test/helpers/global-setup.ts'];

/**
 * `expect.poll` waits as long as test/helpers/wait-for.ts `waitFor` does (10 s), not vitest's 1 s: a condition that holds
 * at once still passes at once, and one a busy two-core machine is late with (an outbox entry removed once its answer is
 * back, in a Chromium page at a load of 9-18) is waited for.
 */
const expectations = { poll: { timeout: 10_000 } };

/** src/ as the edge build has it (tsup.config.ts `swapsFor('edge')`): each module with a `-edge.ts` sibling is that sibling. */
const edgeSwaps: Plugin = {
	name: 'steadfetch-swaps-edge',
	enforce: 'pre',
	resolveId: (source, importer) => importer ? standIn(resolve('src'), 'edge', dirname(importer), source) : undefined,
};

/** ky's own Node tests with a steadfetch client in ky's place (test/ky-compat/README.md), once per mode. */
const kyCompat = (mode: 'off' | 'defaults') => ({
	test: {
		name: `ky-compat-${mode}`,
		environment: 'node',
		include: ['test/ky-compat/**/*.test.ts'],
		env: { KY_COMPAT_MODE: mode },
		// ky's tests are ava tests, which run concurrently within a file (test.concurrent; ava's
		// test.serial ones run alone). ava's default timeout is 10 s; no test may hang.
		maxConcurrency: 100,
		testTimeout: 10_000,
		hookTimeout: 10_000,
	},
});

export default defineConfig({
	test: {
		projects: [
			{
				test: {
					name: 'node',
					environment: 'node',
					include: ['test/unit/**/*.test.ts', 'test/contract/node.test.ts', 'test/node/**/*.test.ts', 'test/workerd-requests/**/*.test.ts'],
					globalSetup,
					expect: expectations,
					// Real Chromium pages (reloads, tabs, IndexedDB) and child processes take seconds: at a load average of 9–13 a
					// cache-chromium test took 6.2 s against vitest's default 5 s. A test that hangs still fails, later.
					testTimeout: 30_000,
				},
			},
			kyCompat('off'),
			kyCompat('defaults'),
			{
				test: {
					name: 'chromium',
					include: ['test/browser/**/*.test.ts'],
					globalSetup,
					expect: expectations,
					browser: {
						enabled: true,
						headless: true,
						provider: playwright({ launchOptions: { executablePath: findChromium(), args: chromiumArgs } }),
						instances: [{ browser: 'chromium' }],
						screenshotFailures: false,
					},
				},
			},
			{
				// The workerd project runs src/ as the `workerd` condition's build would (dist/edge/: the edge's stand-ins).
				plugins: [edgeSwaps, cloudflareTest({ miniflare: { compatibilityDate: '2026-07-01', compatibilityFlags: ['nodejs_compat'] } })],
				test: {
					name: 'workerd',
					include: ['test/workerd/**/*.test.ts'],
					globalSetup,
					expect: expectations,
					// workerd only logs an exception thrown from a timer or a listener: this fails the test.
					setupFiles: ['./test/helpers/workerd-uncaught.ts'],
				},
			},
		],
	},
});
