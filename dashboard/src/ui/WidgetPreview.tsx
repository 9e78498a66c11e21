// The real widget (`/widget.js`) running in a frame of the dashboard, showing the saved settings or a
// draft of them. The frame reloads (debounced) when the draft changes.
import { useEffect, useState } from 'react';
import { useI18n } from '../i18n/index.ts';
import { previewUrl, type PreviewSpec } from '../lib/embed.ts';

/** A live preview of the widget. */
export function WidgetPreview({ spec, title }: { spec: PreviewSpec; title?: string }) {
  const { t } = useI18n();
  const url = previewUrl(spec);
  const [shown, setShown] = useState(url);
  useEffect(() => {
    const timer = setTimeout(() => setShown(url), 400);
    return () => clearTimeout(timer);
  }, [url]);
  return (
    <div className="preview">
      <iframe key={shown} src={shown} title={title ?? t('preview.title')} className="preview-frame" />
    </div>
  );
}
