/**
 * Persistent storage keeps the browser from evicting cached models under storage pressure. `persist()`
 * exists only on the page (not in workers), and asking more than once is pointless: the browser decides
 * from engagement, and may prompt the user.
 */
let asked: Promise<boolean> | undefined;

export function requestPersistentStorage(): Promise<boolean> {
  asked ??= (async () => {
    if (!navigator.storage?.persist) return false;
    if (await navigator.storage.persisted()) return true;
    return navigator.storage.persist();
  })().catch(() => false);
  return asked;
}

export async function isStoragePersisted(): Promise<boolean> {
  return (await navigator.storage?.persisted?.()) ?? false;
}
