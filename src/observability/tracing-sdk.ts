import { register as registerModuleHooks } from 'node:module';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, type Sampler, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { register as registerLoaderHooks, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs';
import type { TracingConfig } from '../config/config.js';
import { loggablePath } from './logger.js';
import { TraceHeadersPropagator } from './propagation.js';
import type { Telemetry } from './telemetry.js';
import { PROBE_PATHS } from './trace.js';

/**
 * GraphQL resolver spans reach this deep: root fields (`sendMessage`) only. type-graphql gives
 * every field a resolver, so a deeper limit would make a span per field of every object returned;
 * the root field's span covers the work beneath it (its queries are its children).
 */
const GRAPHQL_RESOLVER_DEPTH = 1;

function sampler({ kind, ratio }: TracingConfig['sampler']): Sampler {
  const root = (base: string): Sampler => (base === 'always_off' ? new AlwaysOffSampler() : base === 'traceidratio' ? new TraceIdRatioBasedSampler(ratio) : new AlwaysOnSampler());
  return kind.startsWith('parentbased_') ? new ParentBasedSampler({ root: root(kind.slice('parentbased_'.length)) }) : root(kind);
}

/**
 * The OpenTelemetry SDK, loaded only when tracing is on (telemetry.ts). The app is ESM, so the
 * instrumentations can patch only through a module loader hook: import-in-the-middle's, in-thread
 * (`module.registerHooks`; on a Node.js before 24.11.1, its loader thread through `module.register`),
 * registered before any instrumented module is imported. CommonJS packages (pg, ioredis,
 * graphql 16, express) are patched on `require` as well.
 */
export function startTracing(config: TracingConfig & { endpoint: string }): Telemetry {
  if (supportsSyncHooks()) registerLoaderHooks();
  else registerModuleHooks('import-in-the-middle/hook.mjs', import.meta.url);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new TraceHeadersPropagator());
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }),
    sampler: sampler(config.sampler),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: config.endpoint }), scheduledDelayMillis: config.batchDelayMs })],
  });
  trace.setGlobalTracerProvider(provider);
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Probes poll every few seconds; a trace each would bury the ones worth reading.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => PROBE_PATHS.has(loggablePath(request.url ?? '')) }),
      // Names the HTTP span by its route and times REST handlers; the middlewares and routers every
      // request passes through (a dozen) would add a span each and nothing to read.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
      new GraphQLInstrumentation({ depth: GRAPHQL_RESOLVER_DEPTH, ignoreTrivialResolveSpans: true, mergeItems: true, allowValues: false }),
      // Background pollers (webhooks, reactions, pruning) query all the time: only queries inside a traced operation count.
      // Pool checkouts are not worth a span each; the queries are.
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false, ignoreConnectSpans: true }),
      // The command name only: arguments carry keys, tokens and payloads.
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
    ],
  });
  return {
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
}
