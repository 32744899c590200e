import type { Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures';

async function ask(page: Page, question: string, answers: number): Promise<void> {
  await page.getByTestId('prompt-input').fill(question);
  await page.getByTestId('prompt-input').press('Enter');
  await expect(page.getByTestId('assistant-message').nth(answers - 1)).toHaveAttribute('data-state', 'done');
}

const conversationsOf = (page: Page) =>
  page.getByRole('navigation', { name: 'Conversations' }).getByRole('listitem');

test('two tabs on one conversation see each other’s turns, and neither write drops the other’s', async ({
  page,
  context,
  backend,
  consoleErrors,
}) => {
  test.skip(backend !== 'wasm', 'Storage across tabs does not depend on the backend.');
  test.slow();
  const other = await context.newPage();
  await openApp(page, backend, 4);
  await openApp(other, backend, 4);

  await ask(page, 'Hello from the first tab', 1);
  await expect(conversationsOf(other)).toHaveCount(1);

  await conversationsOf(other).first().getByRole('button').first().click();
  await expect(other.getByTestId('user-message')).toHaveCount(1);
  await ask(page, 'A second question from the first tab', 2);
  // The second tab reloads the conversation it shows, so its next write includes this turn.
  await expect(other.getByTestId('user-message')).toHaveCount(2);
  await ask(other, 'And one from the second tab', 3);
  await expect(page.getByTestId('user-message')).toHaveCount(3);

  await page.reload();
  await expect(page.getByTestId('model-status')).toHaveText('Ready');
  await conversationsOf(page).first().getByRole('button').first().click();
  await expect(page.getByTestId('user-message')).toHaveText([
    'Hello from the first tab',
    'A second question from the first tab',
    'And one from the second tab',
  ]);
  await expect(conversationsOf(page)).toHaveCount(1);
  expect(consoleErrors).toEqual([]);
});
