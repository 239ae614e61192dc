#!/usr/bin/env node
// Renders build/icon.svg (the one icon source) into the PNGs the app and installers use,
// with the machine's Chromium through Playwright. Run after editing icon.svg:
//   node build/make-icons.mjs            (FERRY_CHROMIUM=/path/to/chrome to pick the browser)
// Writes build/icons/<N>x<N>.png (electron-builder: Linux icon set, macOS/Windows icon
// from 512x512) and tray-16/32 and tray-unread-16/32 (a white glyph; unread adds a dot).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const svg = await readFile(path.join(here, 'icon.svg'), 'utf8');

/** A simple tray glyph (the sail and hull), readable at 16 px on dark and light bars. */
const tray = (unread) => `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
  <path d="M6 4h20a3 3 0 0 1 3 3v9a3 3 0 0 1-3 3H16l-5 4v-4H6a3 3 0 0 1-3-3V7a3 3 0 0 1 3-3z" fill="#ffffff" stroke="#3a3f47" stroke-width="1.2"/>
  <path d="M4 24h24l-3 5H7z" fill="#ffffff" stroke="#3a3f47" stroke-width="1.2"/>
  ${unread ? '<circle cx="26" cy="7" r="6" fill="#e5484d" stroke="#ffffff" stroke-width="1.5"/>' : ''}
</svg>`;

const jobs = [
  ...[16, 32, 48, 64, 128, 256, 512].map((n) => ({ file: `${n}x${n}.png`, size: n, svg })),
  ...[16, 32].flatMap((n) => [
    { file: `tray-${n}.png`, size: n, svg: tray(false) },
    { file: `tray-unread-${n}.png`, size: n, svg: tray(true) },
  ]),
];

const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage();
  for (const job of jobs) {
    await page.setViewportSize({ width: job.size, height: job.size });
    const src = `data:image/svg+xml;base64,${Buffer.from(job.svg).toString('base64')}`;
    await page.setContent(
      `<html><body style="margin:0;background:transparent"><img src="${src}" width="${job.size}" height="${job.size}" style="display:block"></body></html>`,
    );
    await page.locator('img').evaluate((img) => img.decode());
    await page.screenshot({ path: path.join(here, 'icons', job.file), omitBackground: true });
  }
  console.log(`icons: ${jobs.length} PNGs written to build/icons`);
} finally {
  await browser.close();
}
