// One attempt at a time per scope; each attempt bounded by ky's 3 s timeout.
import { createClient } from 'steadfetch/core';
import { bulkhead } from 'steadfetch/bulkhead';
import { handler } from './handler.js';

const api = createClient({ retry: 0, timeout: 3_000, bulkhead: bulkhead({ maxConcurrent: 1 }) });
export default handler(api);
