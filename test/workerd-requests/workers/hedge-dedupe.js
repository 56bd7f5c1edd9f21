// Hedged reads, shared by identical callers.
import { createClient } from 'steadfetch/core';
import { dedupe } from 'steadfetch/dedupe';
import { hedge } from 'steadfetch/hedge';
import { handler } from './handler.js';

const api = createClient({ retry: 0, timeout: 20_000, retryBudget: false, dedupe: dedupe(), hedge: hedge({ delayMs: 100 }) });
export default handler(api);
