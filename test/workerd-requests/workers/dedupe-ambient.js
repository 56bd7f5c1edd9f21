// Identical reads in flight share one request; every call passes the ambient waitUntil of
// cloudflare:workers, one function for every request of the isolate: it names no request.
import { waitUntil } from 'cloudflare:workers';
import { createClient } from 'steadfetch/core';
import { dedupe } from 'steadfetch/dedupe';
import { handler } from './handler.js';

const api = createClient({ retry: 0, timeout: 20_000, dedupe: dedupe() });
export default handler(api, { waitUntil });
