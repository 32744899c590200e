import { useCallback } from 'react';
import { useActions } from '../app-context';

/**
 * Attaches every file among dropped, pasted, chosen, photographed or shared ones, after the earlier ones.
 * Each is decoded and checked by `attachImages` before it shows; one that is no readable image is refused
 * with a message, not silently ignored. Returns whether there were files to take.
 */
export function useAttach(): (files: Iterable<File>) => boolean {
  const actions = useActions();
  return useCallback(
    (files) => {
      const list = [...files];
      if (list.length === 0) return false;
      void actions.attachImages(list.map((file) => ({ blob: file, name: file.name || 'image' })));
      return true;
    },
    [actions],
  );
}
