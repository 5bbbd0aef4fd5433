// Headless Debian Chromium driven by playwright-core; screenshots go to test-artifacts/ for a person to look at.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { requireCommand } from './servers.js';
import { ROOT } from './service.js';

export const ARTIFACTS = join(ROOT, 'test-artifacts');

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: requireCommand('/usr/bin/chromium', 'install the Debian package chromium'),
    // This machine has no route out: background networking only produces refused connections.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
