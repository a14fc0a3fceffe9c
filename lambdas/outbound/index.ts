/**
 * Every outbound adapter at once: for processes that run all the handlers (the local runtime,
 * the admin CLI, the tests). Lambda entries import only the ones their function uses.
 */
import './sender';
export { sqsClient } from './queue';
export { notificationScheduler } from './scheduler';
