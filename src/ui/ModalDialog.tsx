import { type ReactNode, useEffect, useRef } from 'react';

interface Props {
  readonly className: string;
  readonly testId: string;
  /** The id of the element that names the dialog, for screen readers. */
  readonly labelledBy: string;
  readonly onClose: () => void;
  readonly children: ReactNode;
}

/**
 * A native modal <dialog>, open while mounted: the browser keeps focus inside and gives it back on close.
 * Escape is routed to onClose so the owner's state, not the browser, decides when it goes away.
 */
export function ModalDialog({ className, testId, labelledBy, onClose, children }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  return (
    <dialog
      ref={dialog}
      className={className}
      data-testid={testId}
      aria-labelledby={labelledBy}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      {children}
    </dialog>
  );
}
