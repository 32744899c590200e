import { useEffect, useState } from 'react';

/** Shows a stored image Blob; the object URL lives as long as the component. */
export function ImageThumb({ blob, alt }: { readonly blob: Blob; readonly alt: string }) {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    const objectUrl = URL.createObjectURL(blob);
    setUrl(objectUrl);
    return () => URL.revokeObjectURL(objectUrl);
  }, [blob]);
  return url ? <img className="thumb" src={url} alt={alt} /> : <div className="thumb thumb-empty" />;
}
