import type { TracingConfig } from '../config/config.js';

/** Tracing that runs: flush and stop it once the server has drained. */
export interface Telemetry {
  /** Exports every span still buffered, then stops the SDK. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing when an OTLP endpoint is configured, and returns null (having
 * loaded none of the SDK, exporter or instrumentations) when not. It must run before the modules
 * it instruments (http, express, graphql, pg, ioredis) are imported: main.ts imports the server
 * only after it.
 */
export async function startTelemetry(config: TracingConfig): Promise<Telemetry | null> {
  if (config.endpoint === null) return null;
  const { startTracing } = await import('./tracing-sdk.js');
  return startTracing({ ...config, endpoint: config.endpoint });
}
