/**
 * Starts the simulated API before anything makes a call: client.ts imports this module, so the
 * client (whose outbox drains at start) exists only once msw's Service Worker answers.
 */
import { setupWorker } from 'msw/browser';
import { handlers } from './handlers.js';
import { applyNetwork } from './network.js';
import { readSim } from './sim.js';

export const worker = setupWorker(...handlers);
await worker.start({ serviceWorker: { url: '/mockServiceWorker.js' }, quiet: true, onUnhandledFrame: 'bypass' });
applyNetwork(readSim().online);
