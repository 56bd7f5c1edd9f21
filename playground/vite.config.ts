/**
 * `npm run playground`: the page in playground/ against the BUILT library (dist/, what ships),
 * with msw's Service Worker script served by msw's own Vite plugin (always the installed version).
 */
import { fileURLToPath } from 'node:url';
import { msw } from 'msw/vite';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
	root: here,
	cacheDir: `${repo}node_modules/.vite-playground`,
	plugins: [msw({ mode: 'worker-only' })],
	resolve: {
		alias: [{ find: /^steadfetch$/, replacement: `${repo}dist/index.js` }, { find: /^steadfetch\/(.+)$/, replacement: `${repo}dist/$1.js` }],
	},
	optimizeDeps: {
		// Bundled at start, so the page never reloads itself to add a dependency it discovered late.
		include: ['msw', 'msw/browser', 'ky', 'idb-keyval'],
	},
	server: { host: '127.0.0.1', port: 5180 },
	preview: { host: '127.0.0.1' },
	build: { target: 'es2022' },
});
