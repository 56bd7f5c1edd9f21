import type { TestProject } from 'vitest/node';
import { createHandler } from './server-handler.js';
import { refusedUrl, serve } from './node-server.js';

declare module 'vitest' {
	export interface ProvidedContext {
		/** The loopback test API (server-handler.ts), no trailing slash. */
		baseUrl: string;
		/** A loopback address where connections are refused. */
		refusedUrl: string;
	}
}

/** Start the loopback test API for suites that cannot start servers themselves (Chromium, workerd). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
	const running = await serve(createHandler());
	project.provide('baseUrl', running.url);
	project.provide('refusedUrl', await refusedUrl());
	return async () => running.close();
}
