import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

/**
 * X-Ray tracing without the X-Ray SDK (Powertools Tracer brings aws-xray-sdk-core: +124 kB per
 * bundle, which the 500 kB bundle goal cannot take; docs/operations.md "Tracing").
 *
 * Lambda's active tracing already records each invocation as a segment and hands the function
 * its trace header (`_X_AMZN_TRACE_ID`: Root, Parent, Sampled). This module:
 * - keeps the trace header of the work in progress (`traceHeader()`), which the delivery worker
 *   sets per SQS record to the header the message carried (`withTraceHeader`), so everything
 *   done for one event lands in one trace: publish → SQS → deliver;
 * - attaches it to the SQS messages it sends (`AWSTraceHeader` system attribute);
 * - records each AWS SDK call as a subsegment of the current segment (`traceAwsCalls`), sent
 *   to the X-Ray daemon Lambda runs (UDP, `AWS_XRAY_DAEMON_ADDRESS`), when the trace is sampled.
 * Outside Lambda (no header, no daemon) it does nothing.
 */
const current = new AsyncLocalStorage<string>();

export interface TraceHeader {
  root: string;
  parent?: string;
  sampled: boolean;
}

export function parseTraceHeader(header: string | undefined): TraceHeader | undefined {
  if (!header) return undefined;
  const fields = Object.fromEntries(header.split(';').map((part) => part.trim().split('=') as [string, string]));
  if (!fields.Root) return undefined;
  return { root: fields.Root, ...(fields.Parent ? { parent: fields.Parent } : {}), sampled: fields.Sampled === '1' };
}

/** The trace header of the work in progress: the one set by `withTraceHeader`, else the invocation's. */
export function traceHeader(): string | undefined {
  return current.getStore() ?? process.env._X_AMZN_TRACE_ID;
}

/** Runs `work` as part of the trace `header` names (when it names one). */
export function withTraceHeader<T>(header: string | undefined, work: () => Promise<T>): Promise<T> {
  return parseTraceHeader(header) ? current.run(header!, work) : work();
}

let socket: Socket | undefined;

/** Sends one subsegment document to the daemon (fire and forget: tracing never fails a request). */
export function emitSubsegment(document: Record<string, unknown>, address = process.env.AWS_XRAY_DAEMON_ADDRESS): void {
  if (!address) return;
  const [host, port] = (address.split(' ').find((a) => a.startsWith('udp:'))?.slice(4) ?? address).split(':');
  socket ??= createSocket('udp4').unref();
  socket.send(`{"format":"json","version":1}\n${JSON.stringify(document)}`, Number(port), host, () => undefined);
}

interface SmithyStack {
  add(middleware: (next: (args: unknown) => Promise<unknown>, context: Record<string, unknown>) => (args: unknown) => Promise<unknown>, options: { step: 'initialize'; name: string }): void;
}

/**
 * Records every call the client makes (service, operation, table or queue, status, request id)
 * as an X-Ray subsegment of the current trace. Returns the client.
 */
export function traceAwsCalls<C extends { middlewareStack: unknown }>(client: C, service: string): C {
  (client.middlewareStack as SmithyStack).add(
    (next, context) => async (args) => {
      const trace = parseTraceHeader(traceHeader());
      if (!trace?.sampled || !trace.parent || !process.env.AWS_XRAY_DAEMON_ADDRESS) return next(args);
      const start = Date.now() / 1000;
      const input = (args as { input?: Record<string, unknown> }).input ?? {};
      const document: Record<string, unknown> = {
        type: 'subsegment',
        id: randomBytes(8).toString('hex'),
        trace_id: trace.root,
        parent_id: trace.parent,
        name: service,
        namespace: 'aws',
        start_time: start,
        aws: {
          operation: String(context.commandName ?? '').replace(/Command$/, ''),
          ...(typeof input.TableName === 'string' ? { table_name: input.TableName } : {}),
          ...(typeof input.QueueUrl === 'string' ? { queue_url: input.QueueUrl } : {}),
        },
      };
      try {
        const output = await next(args);
        const meta = (output as { output?: { $metadata?: { httpStatusCode?: number; requestId?: string } } }).output?.$metadata;
        emitSubsegment({ ...document, end_time: Date.now() / 1000, http: { response: { status: meta?.httpStatusCode } }, aws: { ...(document.aws as object), request_id: meta?.requestId } });
        return output;
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
        emitSubsegment({ ...document, end_time: Date.now() / 1000, ...(status === 429 ? { throttle: true, error: true } : status >= 500 || status === 0 ? { fault: true } : { error: true }), http: { response: { status } } });
        throw error;
      }
    },
    { step: 'initialize', name: 'xrayTrace' },
  );
  return client;
}
