import type { WebhookConfig } from '../config/config.js';

/**
 * The delay before the next attempt after `attempts` failed ones: WEBHOOK_RETRY_BASE_MS doubled
 * per failure, capped at WEBHOOK_RETRY_MAX_DELAY_MS, times a jitter in [0.75, 1.25) so endpoints
 * that failed together do not retry in lockstep. Defaults: ~5 s, 10 s, 20 s, … 1 h, then hourly
 * until WEBHOOK_RETRY_FOR_SECONDS (72 h) has passed.
 */
export function retryDelayMs(attempts: number, config: Pick<WebhookConfig, 'retryBaseMs' | 'retryMaxDelayMs'>, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const delay = Math.min(config.retryBaseMs * 2 ** exponent, config.retryMaxDelayMs);
  return Math.round(delay * (0.75 + random() * 0.5));
}
