import * as workers from 'cloudflare:workers';
import type { WaitUntil } from '../core/options.js';

/** See ambient.ts: `cloudflare:workers`'s `waitUntil` (the running request's), where workerd has it. */
export const ambientWaitUntil: WaitUntil | undefined = (workers as { waitUntil?: WaitUntil }).waitUntil;
