/** Whether this is a context with tabs or workers to share with: a page or a web worker. */
export const hasTabs = (): boolean => typeof (globalThis as { document?: unknown }).document !== 'undefined'
	|| typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';

/** Whether this is a service worker (its global scope's interface is exposed there only). */
export const serviceWorker = (): boolean => typeof (globalThis as { ServiceWorkerGlobalScope?: unknown }).ServiceWorkerGlobalScope !== 'undefined';
