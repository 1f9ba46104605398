import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (scripts/install-chromium.sh); playwright-core downloads no browser of its own. */
const CHROMIUM = '/usr/bin/chromium';
// The machine's network is closed; without the background-networking flags chromium's own connections are
// refused many at a time and slow every launch.
const CHROMIUM_ARGUMENTS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
];

/** Starts headless Debian chromium for the dashboard's browser test and its screenshots. */
export function launchChromium(timeoutMs: number): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGUMENTS, timeout: timeoutMs });
}
