import type { WaitUntil } from './options.js';
import { requestScoped } from '../utils/runtime.js';

/**
 * Why a call's background work is dropped instead of run (`background`, part-store.ts): where I/O
 * ends with its request (Cloudflare Workers), a call without a `waitUntil`; else `undefined`. The
 * `browser` build swaps this module for part-store-drop-browser.ts (see tsup.config.ts).
 */
export const droppedWork = (waitUntil: WaitUntil | undefined): Error | undefined =>
	!waitUntil && requestScoped() ? new Error('Dropped: the call had no waitUntil (pass `waitUntil` or use client.withContext(ctx) in a Worker)') : undefined;
