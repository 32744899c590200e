import { useCallback } from 'react';
import { GlimpseError } from '../../state/errors';
import { useAppState } from '../app-context';
import { isAcceptedImage } from './decode-image';

/**
 * Attaches the first image among dropped, pasted or chosen files, replacing any earlier one. A file of another type is refused with a message, not silently ignored.
 */
export function useAttach(): (files: Iterable<File>) => boolean {
  const attach = useAppState((s) => s.attach);
  const showError = useAppState((s) => s.showError);
  return useCallback(
    (files) => {
      const list = [...files];
      if (list.length === 0) return false;
      const image = list.find(isAcceptedImage);
      if (!image) {
        showError(
          new GlimpseError(
            'image-invalid',
            'Glimpse reads JPEG, PNG, WebP and GIF images. Choose one of those.',
            {
              details: { type: list[0]?.type || 'unknown' },
            },
          ).toObject(),
        );
        return false;
      }
      attach({ blob: image, name: image.name });
      return true;
    },
    [attach, showError],
  );
}
