import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumArgs, findChromium } from './test/helpers/chromium.js';

const globalSetup = ['./test/helpers/global-setup.ts'];

export default defineConfig({
	test: {
		projects: [
			{
				test: {
					name: 'node',
					environment: 'node',
					include: ['test/unit/**/*.test.ts', 'test/contract/node.test.ts', 'test/node/**/*.test.ts'],
					globalSetup,
				},
			},
			{
				test: {
					name: 'chromium',
					include: ['test/browser/**/*.test.ts'],
					globalSetup,
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
				plugins: [cloudflareTest({ miniflare: { compatibilityDate: '2026-07-01', compatibilityFlags: ['nodejs_compat'] } })],
				test: {
					name: 'workerd',
					include: ['test/workerd/**/*.test.ts'],
					globalSetup,
				},
			},
		],
	},
});
