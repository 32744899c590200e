import { useEffect, useRef, useState } from 'react';
import { UpdatePrompt } from '../pwa/UpdatePrompt';
import type { ConversationStore } from '../storage/conversations';
import { useActions, useAppState } from './app-context';
import { Announcer } from './chat/Announcer';
import { Composer } from './chat/Composer';
import { MessageList } from './chat/MessageList';
import { ErrorBanner } from './ErrorBanner';
import { CloseIcon, DatabaseIcon, MenuIcon, SettingsIcon } from './icons';
import { useAttach } from './image/use-attach';
import { BackendBadge } from './model/BackendBadge';
import { ModelPicker } from './model/ModelPicker';
import { ModelStatus } from './model/ModelStatus';
import { SettingsPanel } from './settings/SettingsPanel';
import { ConversationList } from './sidebar/ConversationList';
import { StoragePanel } from './storage/StoragePanel';

export function App({ conversations }: { readonly conversations: ConversationStore }) {
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const [panel, setPanel] = useState<'settings' | 'storage'>();
  const actions = useActions();
  const [dragging, setDragging] = useState(false);
  const title = useAppState((s) => s.active?.title ?? 'New chat');
  const attach = useAttach();
  const settingsButton = useRef<HTMLButtonElement>(null);
  const storageButton = useRef<HTMLButtonElement>(null);
  const menuButton = useRef<HTMLButtonElement>(null);

  // Escape closes the open panel, or else the sidebar drawer, and focus goes back to what opened it.
  useEffect(() => {
    if (!panel && !sidebarOpen) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      if (panel) {
        setPanel(undefined);
        (panel === 'settings' ? settingsButton : storageButton).current?.focus();
      } else {
        setSidebarOpen(false);
        menuButton.current?.focus();
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [panel, sidebarOpen]);

  // An image dropped or pasted anywhere on the window is attached; the browser must not open it instead.
  useEffect(() => {
    const hasFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') === true;
    const over = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      setDragging(true);
    };
    const leave = (event: DragEvent) => {
      if (event.relatedTarget === null) setDragging(false);
    };
    const drop = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      setDragging(false);
      if (event.dataTransfer) attach(event.dataTransfer.files);
    };
    const paste = (event: ClipboardEvent) => {
      const files = event.clipboardData?.files;
      if (files && files.length > 0 && attach(files)) event.preventDefault();
    };
    window.addEventListener('paste', paste);
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
      window.removeEventListener('paste', paste);
    };
  }, [attach]);

  return (
    <div className="app" data-sidebar={sidebarOpen ? 'open' : 'closed'}>
      <aside className="sidebar" aria-label="Sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Glimpse
        </div>
        <ConversationList onChosen={() => setSidebarOpen(false)} />
        <button
          ref={storageButton}
          type="button"
          className="sidebar-footer"
          onClick={() => {
            setPanel('storage');
            setSidebarOpen(false);
          }}
        >
          <DatabaseIcon size={18} /> Storage and data
        </button>
      </aside>
      <button
        type="button"
        className="scrim"
        aria-label="Close sidebar"
        tabIndex={sidebarOpen ? 0 : -1}
        onClick={() => setSidebarOpen(false)}
      />
      <main className="main">
        <header className="topbar">
          <button
            ref={menuButton}
            type="button"
            className="icon-button menu-button"
            onClick={() => setSidebarOpen(true)}
            aria-label="Show conversations"
          >
            <MenuIcon />
          </button>
          <h1 className="chat-title">{title}</h1>
          <div className="topbar-model">
            <ModelPicker />
            <BackendBadge />
            <ModelStatus />
          </div>
          <button
            ref={settingsButton}
            type="button"
            className="icon-button"
            onClick={() => setPanel((open) => (open === 'settings' ? undefined : 'settings'))}
            aria-label="Settings"
            aria-expanded={panel === 'settings'}
          >
            <SettingsIcon />
          </button>
        </header>
        <ErrorBanner />
        <div className="notices">
          <UpdatePrompt />
        </div>
        <div className="scroller">
          <MessageList />
        </div>
        <Composer />
        <Announcer />
      </main>
      {panel === 'settings' && <SettingsPanel onClose={() => setPanel(undefined)} />}
      {panel === 'storage' && (
        <section className="panel" aria-label="Storage and data">
          <header className="panel-header">
            <h2>Storage and data</h2>
            <button
              type="button"
              className="icon-button"
              onClick={() => setPanel(undefined)}
              aria-label="Close storage"
            >
              <CloseIcon size={18} />
            </button>
          </header>
          <StoragePanel
            conversations={conversations}
            onImported={() => void actions.refreshConversations()}
          />
        </section>
      )}
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <div>Drop the image to ask about it</div>
        </div>
      )}
    </div>
  );
}
