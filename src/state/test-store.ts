import type { StateStorage } from 'zustand/middleware';
import { type AppStore, createAppStore } from './store';

/** localStorage's behaviour in memory, so persistence is exercised for real in Node. */
export class MemoryStorage implements StateStorage {
  readonly items = new Map<string, string>();
  getItem = (name: string) => this.items.get(name) ?? null;
  setItem = (name: string, value: string) => {
    this.items.set(name, value);
  };
  removeItem = (name: string) => {
    this.items.delete(name);
  };
}

export function testStore(storage = new MemoryStorage()): AppStore {
  return createAppStore(storage);
}
