import { useEffect, useState } from 'react';

/**
 * How this device takes a photo: 'capture' hands the file input to the system camera (phones and tablets,
 * where a live view in a page is worse than the camera app); 'live' shows the webcam in the page through
 * getUserMedia (desktops that have one); undefined offers no camera at all.
 */
export type CameraKind = 'capture' | 'live' | undefined;

export function useCameraKind(): CameraKind {
  const [kind, setKind] = useState<CameraKind>(() =>
    matchMedia('(pointer: coarse)').matches ? 'capture' : undefined,
  );
  useEffect(() => {
    if (kind === 'capture' || !navigator.mediaDevices?.enumerateDevices) return;
    let current = true;
    // Before permission is given the devices have no labels, but their kinds are listed.
    navigator.mediaDevices.enumerateDevices().then(
      (devices) => {
        if (current && devices.some((device) => device.kind === 'videoinput')) setKind('live');
      },
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [kind]);
  return kind;
}

/** What a person can do about a camera that would not start, from the DOMException getUserMedia threw. */
export function cameraProblem(error: unknown): string {
  const name = error instanceof DOMException ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Glimpse may not use the camera. Allow it in the browser’s site settings, or choose a photo instead.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found. Choose a photo instead.';
    case 'NotReadableError':
      return 'The camera is in use by another app. Close that app and try again, or choose a photo instead.';
    default:
      return 'The camera could not start. Choose a photo instead.';
  }
}
