import type * as z from 'zod';
import type { RestMethod } from '../wire/rest-method';
import { method as eventBind } from './event-bind';
import { method as eventGet } from './event-get';
import { method as eventOfflineClear } from './event-offline-clear';
import { method as eventOfflineError } from './event-offline-error';
import { method as eventOfflineGet } from './event-offline-get';
import { method as eventOfflineList } from './event-offline-list';
import { method as eventTest } from './event-test';
import { method as eventUnbind } from './event-unbind';
import { method as events } from './events';
import { method as appInfo } from './app-info';
import { method as featureGet } from './feature-get';
import { method as methodsList } from './methods-list';
import { method as profile } from './profile';
import { method as scope } from './scope';
import { method as serverTime } from './server-time';

/** Every REST method by name: what `batch` runs its sub-calls with (the same objects the entry files wrap). */
export const REST_METHODS: ReadonlyMap<string, RestMethod<z.ZodType>> = new Map(
  ([events, eventBind, eventUnbind, eventGet, eventOfflineGet, eventOfflineList, eventOfflineClear, eventOfflineError, eventTest, scope, methodsList, appInfo, profile, featureGet, serverTime] as RestMethod<z.ZodType>[]).map((m) => [m.name, m]),
);
