import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (package `chromium`; .ci/run installs it), driven by playwright-core. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const hasChromium = existsSync(CHROMIUM);

/** `it` when Chromium is installed; otherwise `it.skip`, saying why on stdout. */
export function browserIt(what: string): jest.It {
  if (hasChromium) return it;
  process.stdout.write(`skipped: ${what} needs ${CHROMIUM} (Debian package chromium; .ci/run installs it)\n`);
  return it.skip;
}

/** `extraArgs`: more Chromium flags, e.g. `--host-resolver-rules=MAP lan.test 127.0.0.1` (a non-localhost name that stays on loopback). */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS, ...extraArgs] });
}

/** Where screenshots are kept as test artefacts (git-ignored; CI leaves them in the checkout). */
export function artefactDir(name: string): string {
  const dir = join('test-artifacts', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
