// A read unanswered after 100 ms gets a second attempt.
import { createClient } from 'steadfetch/core';
import { hedge } from 'steadfetch/hedge';
import { handler } from './handler.js';

const api = createClient({ retry: 0, timeout: 20_000, retryBudget: false, hedge: hedge({ delayMs: 100 }) });
export default handler(api);
