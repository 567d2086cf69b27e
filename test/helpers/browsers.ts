/**
 * Debian's browsers, headless, driven by playwright-core (no browser download): for tests that
 * open the preview page as a user would. Chromium over CDP; Firefox ESR over WebDriver BiDi
 * (playwright-core's `moz-firefox` channel, which drives a stock Firefox rather than
 * Playwright's patched build). Absent: a skip with a message; under CI=true an error.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, firefox, type BrowserContext } from 'playwright-core';

/** A browser the preview page is tested in. */
export interface TestBrowser {
  /** As users call it. */
  name: string;
  /** Debian's executable. */
  executable: string;
  /** The Debian package that installs it. */
  debianPackage: string;
  /** The oldest major version the tests can drive, when there is one. */
  minMajorVersion?: number;
  /** A fresh headless profile; `close()` ends the browser and removes the profile. */
  launch(): Promise<LaunchedBrowser>;
}

/** A running headless browser with its own profile. */
export interface LaunchedBrowser {
  context: BrowserContext;
  close: () => Promise<void>;
}

const viewport = { width: 1200, height: 800 };

async function withProfile(
  prefix: string,
  open: (profile: string) => Promise<BrowserContext>,
): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(path.join(tmpdir(), prefix));
  try {
    const context = await open(profile);
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}

/** Debian's Chromium. */
export const CHROMIUM: TestBrowser = {
  name: 'Chromium',
  executable: '/usr/bin/chromium',
  debianPackage: 'chromium',
  launch: () =>
    withProfile('segstream-chromium-', (profile) =>
      chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM.executable,
        headless: true,
        viewport,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      }),
    ),
};

/**
 * Debian's Firefox ESR (153 in bookworm's security updates). playwright-core is pinned to a
 * release whose BiDi client asks only for commands this ESR implements: 1.65 also sends
 * `emulation.setMediaFeaturesOverride`, and ESR 140 lacks `network.addDataCollector`, which 1.64
 * sends; both are answered with "unknown command".
 */
export const FIREFOX: TestBrowser = {
  name: 'Firefox',
  executable: '/usr/bin/firefox-esr',
  debianPackage: 'firefox-esr',
  minMajorVersion: 153,
  launch: () =>
    withProfile('segstream-firefox-', (profile) =>
      firefox.launchPersistentContext(profile, {
        channel: 'moz-firefox',
        executablePath: FIREFOX.executable,
        headless: true,
        viewport,
      }),
    ),
};

/** True when `browser` is installed (and recent enough to be driven). */
export function haveBrowser(browser: TestBrowser): boolean {
  const problem = browserProblem(browser);
  if (problem === undefined) return true;
  const message = `${problem}; install it with: apt-get install -y ${browser.debianPackage}`;
  if (process.env.CI === 'true') throw new Error(`required under CI=true: ${message}`);
  console.warn(`skipping ${browser.name} tests: ${message}`);
  return false;
}

function browserProblem(browser: TestBrowser): string | undefined {
  if (!existsSync(browser.executable)) return `${browser.executable} is missing`;
  if (browser.minMajorVersion === undefined) return undefined;
  const version = spawnSync(browser.executable, ['--version'], { encoding: 'utf8', timeout: 30_000 }).stdout ?? '';
  const major = Number(/(\d+)\.\d+/.exec(version)?.[1]);
  if (!(major >= browser.minMajorVersion))
    return `${browser.executable} is ${version.trim() || 'of an unknown version'}, older than ${browser.minMajorVersion}`;
  return undefined;
}
