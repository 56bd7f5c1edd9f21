/** `steadfetch/logger`: one structured record per outcome, for the `logger` slot. */
export { logger, type Logger, type LogRecord, type LoggerOptions } from '../logger/index.js';
