import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * CloudWatch metrics as embedded metric format lines in the function's log (Powertools): no
 * API call, no extra latency. Namespace and `service` dimension per stage: the stack sets
 * POWERTOOLS_METRICS_NAMESPACE (`b24-event-hub/<stage>`) and POWERTOOLS_SERVICE_NAME
 * (`b24-event-hub-<stage>`); `b24-event-hub` when unset (local runtime). No per-application dimension: an application's figures stay in the log line's
 * properties, so the metric count does not grow with the number of tenants.
 */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'b24-event-hub',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'b24-event-hub',
});

/** What one publish request did (the dashboard's publish rate). */
export function recordPublish(events: number, result: { deliveries_queued: number; records_created: number; records_merged: number }): void {
  metrics.addMetric('EventsPublished', MetricUnit.Count, events);
  metrics.addMetric('DeliveriesQueued', MetricUnit.Count, result.deliveries_queued);
  metrics.addMetric('RecordsWritten', MetricUnit.Count, result.records_created + result.records_merged);
  metrics.publishStoredMetrics();
}

/** Each delivery attempt's outcome (docs/delivery.md), and the handler's latency when one answered. */
export function recordDelivery(outcome: { kind: string; latencyMs?: number; fellBack?: true }): void {
  const name = { delivered: 'DeliveriesSucceeded', failed: 'DeliveriesFailed', deferred: 'DeliveriesDeferred', dropped: 'DeliveriesDropped' }[outcome.kind] ?? 'DeliveriesOther';
  metrics.addMetric(name, MetricUnit.Count, 1);
  if (outcome.fellBack) metrics.addMetric('DeliveriesFellBack', MetricUnit.Count, 1);
  if (outcome.latencyMs !== undefined) metrics.addMetric('DeliveryLatency', MetricUnit.Milliseconds, outcome.latencyMs);
}

/** A handler switched off for an application (docs/delivery.md "Dead handlers"); the log line names it. */
export function recordSwitchOff(): void {
  metrics.addMetric('HandlersSwitchedOff', MetricUnit.Count, 1);
}

/** A delivery record the worker could not process: malformed (poison), or the service failed (it comes back from SQS). */
export function recordFailedRecord(kind: 'malformed' | 'service'): void {
  metrics.addMetric(kind === 'malformed' ? 'DeliveryMessagesMalformed' : 'DeliveryWorkerErrors', MetricUnit.Count, 1);
}

/** How many records an offline queue holds when an application drains it (counted up to 1,000). */
export function recordQueueDepth(pending: number, oldestAgeSeconds: number | null): void {
  metrics.addMetric('OfflineQueuePending', MetricUnit.Count, pending);
  if (oldestAgeSeconds !== null) metrics.addMetric('OfflineQueueOldestAge', MetricUnit.Seconds, oldestAgeSeconds);
  metrics.publishStoredMetrics();
}
