// Two requests a second per scope, one at once.
import { createClient } from 'steadfetch/core';
import { rateLimit } from 'steadfetch/rate-limit';
import { handler } from './handler.js';

const api = createClient({ retry: 0, timeout: 20_000, rateLimit: rateLimit({ perSecond: 2, burst: 1 }) });
export default handler(api);
