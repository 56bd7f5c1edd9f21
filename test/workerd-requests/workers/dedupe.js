// Identical reads in flight share one request.
import { createClient } from 'steadfetch/core';
import { dedupe } from 'steadfetch/dedupe';
import { handler } from './handler.js';

const api = createClient({ retry: 0, timeout: 20_000, dedupe: dedupe() });
export default handler(api);
