// Disabled buttons stay readable (issue 12, defect 4): in real Chromium, light and dark, the text
// of every disabled button on screen (Edit profile's Save, the composer's Send, and each button
// kind of app.css placed on the app's surfaces) is measured against what is behind it, opacity
// included; below WCAG AA (4.5:1) fails. Two people are not needed to look at one screen: Ada only.
import { expect, test, type Page } from '@playwright/test';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { person } = useWorld();

interface Measured {
  label: string;
  ratio: number;
}

/** Contrast of each visible disabled button's text (or icon) against its effective background. */
async function disabledContrasts(page: Page): Promise<Measured[]> {
  return page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const ctx = canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
    /** Any CSS colour (rgb, color-mix, oklab…) as [r, g, b, a] 0-255 / 0-1. */
    const rgba = (css: string): [number, number, number, number] => {
      ctx.clearRect(0, 0, 1, 1);
      ctx.fillStyle = '#000';
      ctx.fillStyle = css;
      ctx.fillRect(0, 0, 1, 1);
      const d = ctx.getImageData(0, 0, 1, 1).data;
      return [d[0] ?? 0, d[1] ?? 0, d[2] ?? 0, (d[3] ?? 0) / 255];
    };
    const over = (top: number[], under: number[]): number[] => {
      const a = top[3] ?? 1;
      return [0, 1, 2].map((i) => (top[i] ?? 0) * a + (under[i] ?? 0) * (1 - a)).concat(1);
    };
    const background = (el: Element | null): number[] => {
      const layers: number[][] = [];
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c[3] > 0) layers.push(c);
        if (c[3] >= 1) break;
      }
      let out = rgba(getComputedStyle(document.body).backgroundColor);
      if (out[3] < 1) out = [255, 255, 255, 1];
      let acc: number[] = out;
      for (const layer of layers.reverse()) acc = over(layer, acc);
      return acc;
    };
    const opacity = (el: Element | null): number => {
      let o = 1;
      for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
      return o;
    };
    const lum = (c: number[]) => {
      const ch = c.slice(0, 3).map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * (ch[0] ?? 0) + 0.7152 * (ch[1] ?? 0) + 0.0722 * (ch[2] ?? 0);
    };
    const out: { label: string; ratio: number }[] = [];
    for (const b of document.querySelectorAll<HTMLButtonElement>('button:disabled')) {
      const r = b.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const bg = background(b);
      const fg = rgba(getComputedStyle(b).color);
      const text = over([fg[0], fg[1], fg[2], fg[3] * opacity(b)], bg);
      const [l1, l2] = [lum(text), lum(bg)].sort((x, y) => y - x) as [number, number];
      out.push({
        label: (b.dataset['testid'] ?? b.textContent ?? '').trim() || b.className,
        ratio: Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100,
      });
    }
    return out;
  });
}

/** After a theme switch: the buttons' colour transitions (120 ms) have finished. */
async function settled(page: Page): Promise<void> {
  await page.evaluate(() =>
    Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))),
  );
}

/** One disabled button of each kind app.css has, on the page and on a raised surface. */
async function addButtonKinds(page: Page): Promise<void> {
  await page.evaluate(() => {
    const box = document.createElement('div');
    box.id = 'button-kinds';
    box.style.cssText =
      'position:fixed;left:320px;top:80px;z-index:99;display:flex;flex-direction:column;gap:8px;padding:16px;';
    for (const surface of ['var(--bg)', 'var(--bg-raised)', 'var(--bg-sidebar)']) {
      const row = document.createElement('div');
      row.style.cssText = `display:flex;gap:8px;padding:8px;background:${surface}`;
      for (const kind of ['', 'btn-primary', 'btn-danger', 'btn-ghost']) {
        const b = document.createElement('button');
        b.className = `btn ${kind}`.trim();
        b.disabled = true;
        b.textContent = `${kind || 'btn'} on ${surface}`;
        row.append(b);
      }
      box.append(row);
    }
    document.body.append(box);
  });
}

test('disabled buttons keep WCAG AA text contrast in light and dark', async ({ browser }) => {
  const ada = await person(browser, 'Ada');
  const page = ada.page;
  await page.getByTestId('edit-profile-button').click();
  await expect(page.getByTestId('edit-profile-dialog')).toBeVisible();
  await expect(page.getByTestId('edit-profile-save-status')).toBeDisabled();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await settled(page);
    const dialog = await disabledContrasts(page);
    expect(dialog.map((m) => m.label)).toContain('edit-profile-save-status');
    await screenshot(page, `disabled-1-edit-profile-${scheme}`);
    await page.getByTestId('edit-profile-status').press('Escape');
    await expect(page.getByTestId('edit-profile-dialog')).toBeHidden();
    await addButtonKinds(page);
    await settled(page);
    const kinds = await disabledContrasts(page);
    expect(kinds.length).toBeGreaterThanOrEqual(12);
    await screenshot(page, `disabled-2-button-kinds-${scheme}`);
    await page.evaluate(() => document.getElementById('button-kinds')?.remove());
    for (const m of [...dialog, ...kinds]) {
      expect(m.ratio, `${scheme}: "${m.label}" has contrast ${m.ratio}:1`).toBeGreaterThanOrEqual(
        4.5,
      );
    }
    if (scheme === 'light') {
      await page.getByTestId('edit-profile-button').click();
      await expect(page.getByTestId('edit-profile-dialog')).toBeVisible();
    }
  }
  await ada.context.close();
});
