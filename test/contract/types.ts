import type * as Steadfetch from './library.js';

/** The library as each runtime imports it (src/ under vitest, dist/ under Deno). */
export type Library = typeof Steadfetch;

export interface ContractEnv {
	/** The loopback test API (test/helpers/server-handler.ts), no trailing slash. */
	baseUrl: string;
	/** A loopback address where connections are refused. */
	refusedUrl: string;
	/** The runtime's name: `node`, `chromium`, `deno`, `workerd`. */
	runtime: string;
}

export interface ContractCase {
	name: string;
	run(): Promise<void>;
}

let counter = 0;
/** A unique id for the test API's `?id=`, so cases never share counters. */
export const uid = (): string => `c${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
