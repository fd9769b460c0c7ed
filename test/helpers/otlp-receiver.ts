import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

/**
 * The protobufjs code the OpenTelemetry JS maintainers generated from the official
 * opentelemetry-proto definitions, as `@opentelemetry/otlp-transformer` 0.216 shipped it (later
 * releases encode by hand and can no longer decode a request). Installed under an alias so it
 * cannot clash with the exporter's own, newer otlp-transformer.
 */
interface ProtoMessageType<T> {
  decode(bytes: Uint8Array): T;
  encode(message: object): { finish(): Uint8Array };
}
interface OtlpAnyValue {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: number | { toString(): string } | null;
  doubleValue?: number | null;
}
interface OtlpSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId?: Uint8Array | null;
  name: string;
  kind: number;
  attributes: { key: string; value?: OtlpAnyValue | null }[];
}
interface ExportTraceServiceRequest {
  resourceSpans: { resource?: { attributes: OtlpSpan['attributes'] } | null; scopeSpans: { scope?: { name: string } | null; spans: OtlpSpan[] }[] }[];
}
const root = createRequire(import.meta.url)('otlp-transformer-protobufjs/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtoMessageType<ExportTraceServiceRequest>; ExportTraceServiceResponse: ProtoMessageType<object> } } } } };
};
const { ExportTraceServiceRequest, ExportTraceServiceResponse } = root.opentelemetry.proto.collector.trace.v1;

/** OTLP span kinds (opentelemetry/proto/trace/v1/trace.proto). */
export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;

/** One received span, ids in lower-case hex as W3C headers write them. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  /** The instrumentation scope that made it (`@opentelemetry/instrumentation-pg`, `parley-webhooks`). */
  scope: string;
  /** The resource's `service.name`. */
  service: string;
  attributes: Record<string, string | number | boolean>;
}

export interface OtlpReceiver {
  /** The base URL to set as OTEL_EXPORTER_OTLP_ENDPOINT (the exporter posts to `/v1/traces`). */
  url: string;
  spans: ReceivedSpan[];
  /** Export requests received, whatever they held. */
  requests: number;
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const hex = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('hex');

function scalar(value: OtlpAnyValue | null | undefined): string | number | boolean {
  if (!value) return '';
  if (value.stringValue !== undefined && value.stringValue !== null) return value.stringValue;
  if (value.boolValue !== undefined && value.boolValue !== null) return value.boolValue;
  if (value.intValue !== undefined && value.intValue !== null) return Number(value.intValue.toString());
  return value.doubleValue ?? '';
}

const attributes = (list: OtlpSpan['attributes'] = []) => Object.fromEntries(list.map(({ key, value }) => [key, scalar(value)]));

/**
 * A real OTLP/HTTP trace receiver (protobuf, `POST /v1/traces`) on port 0: decodes each export
 * request with the official generated protobuf types, records its spans and answers an encoded
 * ExportTraceServiceResponse, as a collector does.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const receiver: OtlpReceiver = {
    url: '',
    spans: [],
    requests: 0,
    async waitFor(predicate, what, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(receiver.spans)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received ${receiver.spans.length} spans: ${receiver.spans.map((s) => `${s.scope}:${s.name}`).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces' || request.headers['content-type'] !== 'application/x-protobuf') {
        response.writeHead(415).end();
        return;
      }
      receiver.requests += 1;
      const exported = ExportTraceServiceRequest.decode(Buffer.concat(chunks));
      for (const resourceSpans of exported.resourceSpans) {
        const service = String(attributes(resourceSpans.resource?.attributes)['service.name'] ?? '');
        for (const scopeSpans of resourceSpans.scopeSpans) {
          for (const span of scopeSpans.spans) {
            receiver.spans.push({
              traceId: hex(span.traceId),
              spanId: hex(span.spanId),
              parentSpanId: hex(span.parentSpanId),
              name: span.name,
              kind: span.kind,
              scope: scopeSpans.scope?.name ?? '',
              service,
              attributes: attributes(span.attributes),
            });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(ExportTraceServiceResponse.encode({}).finish());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
