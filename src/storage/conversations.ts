import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import { fromExportJson, toExportJson } from './conversation-json';
import {
  type ConversationSummary,
  currentShape,
  type StoredConversation,
  summarize,
} from './conversation-types';

export { ConversationImportError } from './conversation-json';
export type {
  ConversationSummary,
  StoredConversation,
  StoredImage,
  StoredMessage,
} from './conversation-types';

/**
 * Conversations with their images, in IndexedDB: every change is one transaction, so a reload, a crash
 * or going offline loses nothing that was put.
 */
export interface ConversationStore {
  /** Newest (last updated) first. */
  list(): Promise<ConversationSummary[]>;
  get(id: string): Promise<StoredConversation | undefined>;
  put(conversation: StoredConversation): Promise<void>;
  /** Keeps the conversation's place in the list: renaming is not an update of its content. */
  rename(id: string, title: string): Promise<void>;
  delete(id: string): Promise<void>;
  /** All conversations, or those named, as JSON with images inlined as data URLs. */
  exportJson(ids?: readonly string[]): Promise<string>;
  /**
   * Stores the conversations of an export file and returns their ids; one whose id is taken gets a new
   * id. Throws ConversationImportError, storing nothing, when the file is malformed.
   */
  importJson(text: string): Promise<string[]>;
  close(): void;
}

interface GlimpseDb extends DBSchema {
  conversations: { key: string; value: StoredConversation };
  // Kept beside the full records so the list never reads messages or images.
  summaries: { key: string; value: ConversationSummary; indexes: { updatedAt: number } };
}

export async function openConversationStore(dbName = 'glimpse'): Promise<ConversationStore> {
  const db = await openDB<GlimpseDb>(dbName, 1, {
    upgrade(database) {
      database.createObjectStore('conversations', { keyPath: 'id' });
      database.createObjectStore('summaries', { keyPath: 'id' }).createIndex('updatedAt', 'updatedAt');
    },
  });
  return new IdbConversationStore(db);
}

class IdbConversationStore implements ConversationStore {
  readonly #db: IDBPDatabase<GlimpseDb>;

  constructor(db: IDBPDatabase<GlimpseDb>) {
    this.#db = db;
  }

  async list(): Promise<ConversationSummary[]> {
    const oldestFirst = await this.#db.getAllFromIndex('summaries', 'updatedAt');
    return oldestFirst.reverse();
  }

  async get(id: string): Promise<StoredConversation | undefined> {
    const stored = await this.#db.get('conversations', id);
    return stored && currentShape(stored);
  }

  async put(conversation: StoredConversation): Promise<void> {
    await this.#putAll([conversation]);
  }

  async rename(id: string, title: string): Promise<void> {
    const tx = this.#db.transaction(['conversations', 'summaries'], 'readwrite');
    const conversation = await tx.objectStore('conversations').get(id);
    if (conversation) {
      const renamed = { ...conversation, title };
      await Promise.all([
        tx.objectStore('conversations').put(renamed),
        tx.objectStore('summaries').put(summarize(renamed)),
      ]);
    }
    await tx.done;
  }

  async delete(id: string): Promise<void> {
    const tx = this.#db.transaction(['conversations', 'summaries'], 'readwrite');
    await Promise.all([
      tx.objectStore('conversations').delete(id),
      tx.objectStore('summaries').delete(id),
      tx.done,
    ]);
  }

  async exportJson(ids?: readonly string[]): Promise<string> {
    const all = ids
      ? (await Promise.all(ids.map((id) => this.get(id)))).filter((c) => c !== undefined)
      : (await this.#db.getAll('conversations')).map(currentShape);
    return toExportJson(all.sort((a, b) => b.updatedAt - a.updatedAt));
  }

  async importJson(text: string): Promise<string[]> {
    const incoming = fromExportJson(text);
    const taken = new Set(await this.#db.getAllKeys('conversations'));
    const renumbered = incoming.map((conversation) => {
      const id = taken.has(conversation.id) ? crypto.randomUUID() : conversation.id;
      taken.add(id);
      return { ...conversation, id };
    });
    await this.#putAll(renumbered);
    return renumbered.map((c) => c.id);
  }

  close(): void {
    this.#db.close();
  }

  async #putAll(conversations: readonly StoredConversation[]): Promise<void> {
    const tx = this.#db.transaction(['conversations', 'summaries'], 'readwrite');
    const writes = conversations.flatMap((c) => [
      tx.objectStore('conversations').put(c),
      tx.objectStore('summaries').put(summarize(c)),
    ]);
    await Promise.all([...writes, tx.done]);
  }
}
