import type { Context } from 'aws-lambda';
import type { DynamoScheduleStore } from '../lambdas/adapters/dynamo/schedule-store';
import type { TrailingNotification } from '../lambdas/domain/offline-notification';
import { lambdaContext } from './server';

export type NotifyHandler = (event: TrailingNotification, context: Context) => Promise<unknown>;

export interface LocalScheduler {
  stop(): Promise<void>;
}

/**
 * What EventBridge Scheduler does for the deployed stack, locally: every `intervalMs` it
 * reads the schedules kept in DynamoDB Local, takes each one that is due (a conditional
 * delete, so a schedule runs once) and invokes the notifier handler with its input.
 * Schedules live on disk, so one whose time passed while the stack was stopped runs at the
 * next start.
 */
export function startLocalScheduler(store: DynamoScheduleStore, handler: () => Promise<NotifyHandler>, options: { intervalMs: number; log: (line: string) => void }): LocalScheduler {
  let running = true;
  let ticking: Promise<void> = Promise.resolve();
  const tick = async (): Promise<void> => {
    const now = Date.now();
    for (const schedule of await store.list()) {
      if (schedule.at > now || !running) continue;
      if (!(await store.take(schedule.name))) continue;
      await (await handler())(schedule.input, lambdaContext('notify'));
    }
  };
  const timer = setInterval(() => {
    ticking = ticking.then(tick).catch((error: unknown) => options.log(`scheduler: ${(error as Error).message}`));
  }, options.intervalMs);
  return {
    async stop() {
      running = false;
      clearInterval(timer);
      await ticking;
    },
  };
}
