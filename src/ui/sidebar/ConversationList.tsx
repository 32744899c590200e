import { useState } from 'react';
import type { ConversationSummary } from '../../storage/conversation-types';
import { useActions, useAppState } from '../app-context';
import { PencilIcon, PlusIcon, TrashIcon } from '../icons';

export function ConversationList({ onChosen }: { readonly onChosen: () => void }) {
  const summaries = useAppState((s) => s.summaries);
  const activeId = useAppState((s) => s.active?.id);
  const generating = useAppState((s) => s.generation !== undefined);
  const actions = useActions();
  return (
    <nav className="conversations" aria-label="Conversations">
      <button
        type="button"
        className="new-chat"
        data-testid="new-chat"
        disabled={generating}
        onClick={() => {
          actions.newChat();
          onChosen();
        }}
      >
        <PlusIcon size={18} /> New chat
      </button>
      {summaries.length === 0 ? (
        <p className="conversations-empty">Your conversations appear here. They stay on this device.</p>
      ) : (
        <ul>
          {summaries.map((summary) => (
            <ConversationRow
              key={summary.id}
              summary={summary}
              active={summary.id === activeId}
              disabled={generating}
              onSelect={() => {
                void actions.selectConversation(summary.id);
                onChosen();
              }}
              onRename={(title) => void actions.renameConversation(summary.id, title)}
              onDelete={() => void actions.deleteConversation(summary.id)}
            />
          ))}
        </ul>
      )}
    </nav>
  );
}

function ConversationRow({
  summary,
  active,
  disabled,
  onSelect,
  onRename,
  onDelete,
}: {
  readonly summary: ConversationSummary;
  readonly active: boolean;
  readonly disabled: boolean;
  readonly onSelect: () => void;
  readonly onRename: (title: string) => void;
  readonly onDelete: () => void;
}) {
  const [editing, setEditing] = useState(false);
  if (editing) {
    return (
      <li className="conversation editing">
        <input
          // biome-ignore lint/a11y/noAutofocus: the user just asked to rename this row
          autoFocus
          defaultValue={summary.title}
          aria-label="Conversation title"
          onBlur={(event) => {
            onRename(event.target.value);
            setEditing(false);
          }}
          onKeyDown={(event) => {
            if (event.key === 'Enter') event.currentTarget.blur();
            if (event.key === 'Escape') setEditing(false);
          }}
        />
      </li>
    );
  }
  return (
    <li className={active ? 'conversation active' : 'conversation'}>
      <button
        type="button"
        className="conversation-title"
        onClick={onSelect}
        disabled={disabled}
        aria-current={active ? 'page' : undefined}
      >
        {summary.title}
      </button>
      <span className="conversation-tools">
        <button
          type="button"
          className="icon-button"
          onClick={() => setEditing(true)}
          aria-label={`Rename ${summary.title}`}
        >
          <PencilIcon size={15} />
        </button>
        <button
          type="button"
          className="icon-button"
          onClick={() => {
            if (window.confirm(`Delete "${summary.title}"?`)) onDelete();
          }}
          aria-label={`Delete ${summary.title}`}
        >
          <TrashIcon size={15} />
        </button>
      </span>
    </li>
  );
}
