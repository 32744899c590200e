/**
 * Accessibility, checked by axe on every screen a person meets: the empty chat, the model picker's dialog,
 * the settings and storage panels and an answered chat with several images, each in light and dark, at a
 * desktop and a phone size; no serious or critical violation. Keyboard: Escape closes each of them.
 * One page and one model load serve every check; phone screenshots are attached to the report.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { expect, openApp, photoPath, secondPhotoPath, test } from './fixtures';

const sizes = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;

async function expectAccessible(page: Page, where: string, within?: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    for (const [size, viewport] of Object.entries(sizes)) {
      await page.setViewportSize(viewport);
      const axe = new AxeBuilder({ page });
      const { violations } = await (within ? axe.include(within) : axe).analyze();
      const serious = violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
      expect(serious, `${where}, ${colorScheme}, ${size}`).toEqual([]);
    }
  }
  await page.setViewportSize(sizes.desktop);
}

async function phoneScreenshot(page: Page, name: string): Promise<void> {
  await page.setViewportSize(sizes.phone);
  await test.info().attach(`phone: ${name}`, { body: await page.screenshot(), contentType: 'image/png' });
}

async function closesOnEscape(page: Page, opened: Locator, opener?: Locator): Promise<void> {
  await page.keyboard.press('Escape');
  await expect(opened).toHaveCount(0);
  if (opener) await expect(opener).toBeFocused();
}

test('every screen passes axe in light and dark, desktop and phone, and Escape closes each dialog', async ({
  page,
  backend,
}) => {
  test.skip(backend !== 'wasm', 'The markup does not depend on the backend.');
  test.slow();
  await openApp(page, backend, 48);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('New chat');
  await expectAccessible(page, 'empty chat');
  await phoneScreenshot(page, 'empty chat');
  await page.setViewportSize(sizes.desktop);

  await page.getByTestId('model-picker').selectOption('#enter-location');
  const hubDialog = page.getByTestId('hub-dialog');
  await expect(hubDialog).toBeVisible();
  await expectAccessible(page, 'model picker dialog');
  await closesOnEscape(page, hubDialog);

  const settingsButton = page.getByRole('button', { name: 'Settings' });
  await settingsButton.focus();
  await page.keyboard.press('Enter');
  const settings = page.getByRole('region', { name: 'Settings' });
  await expect(settings).toBeVisible();
  await expectAccessible(page, 'settings panel');
  await closesOnEscape(page, settings, settingsButton);

  const storageButton = page.getByRole('button', { name: 'Storage and data' });
  await storageButton.click();
  const storage = page.getByRole('region', { name: 'Storage and data' });
  await expect(storage).toBeVisible();
  await expectAccessible(page, 'storage panel');
  await closesOnEscape(page, storage, storageButton);

  await page.getByTestId('image-input').setInputFiles([photoPath, secondPhotoPath]);
  await expect(page.getByTestId('attachment')).toHaveCount(2);
  await phoneScreenshot(page, 'several images');
  await page.evaluate(() => {
    const region = document.querySelector('[data-testid="announcer"]');
    const said: string[] = [];
    Object.assign(window, { announced: said });
    if (region)
      new MutationObserver(() => said.push(region.textContent ?? '')).observe(region, {
        subtree: true,
        childList: true,
        characterData: true,
      });
  });
  await page.getByTestId('prompt-input').fill('Which of these two is by the sea?');
  await page.getByTestId('prompt-input').press('Enter');
  const answer = page.getByTestId('assistant-message');
  // Read from the observer's record, not the live region: a fast answer on wasm can replace "Answering…"
  // before a check of the region runs (one CI run saw only the finished answer there).
  await expect.poll(() => page.evaluate(() => Reflect.get(window, 'announced'))).toContain('Answering…');
  await phoneScreenshot(page, 'answering');
  await expect(answer).toHaveAttribute('data-state', 'done', { timeout: 150_000 });
  // The transcript keeps the turn's two images with it, in order.
  const turnImages = page.getByTestId('user-message').getByRole('img');
  await expect(turnImages).toHaveCount(2);
  await expect(turnImages.first()).toHaveAccessibleName('Image 1 of 2: image.jpg');
  // The live region spoke twice, when the answer started and once it was whole: never token by token.
  const announced = await page.evaluate(() => Reflect.get(window, 'announced'));
  expect(announced).toEqual(['Answering…', expect.stringMatching(/^Answer: ./)]);
  await expect(page.getByRole('heading', { level: 1 })).toHaveCount(1);
  await expectAccessible(page, 'answered chat');
  await phoneScreenshot(page, 'answered');
});
