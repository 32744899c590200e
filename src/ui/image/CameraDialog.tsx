import { useEffect, useRef, useState } from 'react';
import { CameraIcon, CloseIcon } from '../icons';
import { ModalDialog } from '../ModalDialog';
import { cameraProblem } from './use-camera';

interface Props {
  readonly onCapture: (photo: File) => void;
  readonly onClose: () => void;
}

/**
 * The webcam's live view with a shutter, in a modal dialog. The camera runs only while the dialog is open; a refusal or a missing camera is said here, the chat untouched.
 */
export function CameraDialog({ onCapture, onClose }: Props) {
  const video = useRef<HTMLVideoElement>(null);
  const [problem, setProblem] = useState<string>();
  const [live, setLive] = useState(false);

  useEffect(() => {
    let stream: MediaStream | undefined;
    let open = true;
    const stop = (tracks: MediaStream | undefined) => {
      for (const track of tracks?.getTracks() ?? []) track.stop();
    };
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'environment' }, audio: false })
      .then(async (started) => {
        stream = started;
        if (!open || !video.current) return stop(started);
        video.current.srcObject = started;
        await video.current.play();
        setLive(true);
      })
      .catch((error: unknown) => {
        if (open) setProblem(cameraProblem(error));
      });
    return () => {
      open = false;
      stop(stream);
    };
  }, []);

  const shoot = () => {
    const frame = video.current;
    if (!frame || frame.videoWidth === 0) return;
    const canvas = document.createElement('canvas');
    canvas.width = frame.videoWidth;
    canvas.height = frame.videoHeight;
    canvas.getContext('2d')?.drawImage(frame, 0, 0);
    canvas.toBlob(
      (blob) => {
        if (!blob) return;
        const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
        onCapture(new File([blob], `photo-${stamp}.jpg`, { type: 'image/jpeg' }));
      },
      'image/jpeg',
      0.92,
    );
  };

  return (
    <ModalDialog className="camera-dialog" testId="camera-dialog" labelledBy="camera-title" onClose={onClose}>
      <header className="panel-header">
        <h2 id="camera-title">Take a photo</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close camera">
          <CloseIcon size={18} />
        </button>
      </header>
      {problem ? (
        <p className="camera-problem" role="alert">
          {problem}
        </p>
      ) : (
        <video ref={video} className="camera-view" muted playsInline aria-label="Camera view" />
      )}
      {!problem && (
        <button type="button" className="shutter" onClick={shoot} disabled={!live} data-testid="shutter">
          <CameraIcon size={20} /> Take photo
        </button>
      )}
    </ModalDialog>
  );
}
