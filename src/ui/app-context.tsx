import { createContext, type ReactNode, useContext } from 'react';
import type { ChatActions } from '../state/chat-actions';
import type { AppState, AppStore } from '../state/store';

interface App {
  readonly store: AppStore;
  readonly actions: ChatActions;
}

const AppContext = createContext<App | undefined>(undefined);

export function AppProvider({ store, actions, children }: App & { readonly children: ReactNode }) {
  return <AppContext.Provider value={{ store, actions }}>{children}</AppContext.Provider>;
}

function useAppContext(): App {
  const app = useContext(AppContext);
  if (!app) throw new Error('Components of Glimpse must be rendered inside <AppProvider>.');
  return app;
}

/** Reads a slice of the store; the component re-renders when that slice changes. */
export function useAppState<T>(selector: (state: AppState) => T): T {
  return useAppContext().store(selector);
}

export function useActions(): ChatActions {
  return useAppContext().actions;
}
