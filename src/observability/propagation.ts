import { randomBytes } from 'node:crypto';
import { type Context, isValidTraceId, type TextMapGetter, type TextMapPropagator, type TextMapSetter, TraceFlags, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** The header Parley always answered with a request's trace id, and accepts from callers. */
export const TRACE_ID_HEADER = 'x-trace-id';

const W3C_TRACE_ID = /^[0-9a-fA-F]{32}$/;

/** A random id of `bytes` bytes in lower-case hex: 16 for a trace id, 8 for a span id. */
export const randomHexId = (bytes: 16 | 8): string => randomBytes(bytes).toString('hex');

/**
 * W3C Trace Context (`traceparent`, `tracestate`), plus Parley's own `x-trace-id` as a fallback:
 * a caller that sends no `traceparent` but a 32-hex `x-trace-id` gets that as the trace id of
 * its request (the remote parent then is a span id nobody recorded). Any other `x-trace-id` is
 * only an alias (see trace.ts). Outgoing requests carry `traceparent` alone.
 */
export class TraceHeadersPropagator implements TextMapPropagator {
  private readonly w3c = new W3CTraceContextPropagator();

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    this.w3c.inject(context, carrier, setter);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const extracted = this.w3c.extract(context, carrier, getter);
    if (trace.getSpanContext(extracted)) return extracted;
    const header = getter.get(carrier, TRACE_ID_HEADER);
    const alias = (Array.isArray(header) ? header[0] : header)?.trim();
    if (!alias || !W3C_TRACE_ID.test(alias) || !isValidTraceId(alias.toLowerCase())) return extracted;
    return trace.setSpanContext(context, { traceId: alias.toLowerCase(), spanId: randomHexId(8), traceFlags: TraceFlags.SAMPLED, isRemote: true });
  }

  fields(): string[] {
    return this.w3c.fields();
  }
}
