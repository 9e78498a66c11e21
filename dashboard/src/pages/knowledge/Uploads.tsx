// Documents by drag and drop (or a file chooser): each file uploads with its own progress bar and
// its own error in plain words; several upload at once.
import { useRef, useState, type DragEvent } from 'react';
import { errorText, useI18n } from '../../i18n/index.ts';
import type { ApiError } from '../../lib/api.ts';
import { bytes } from '../../lib/format.ts';
import { uploadFile, type Upload } from '../../lib/upload.ts';
import type { SourceView } from '../../lib/types.ts';
import { ProgressBar } from '../../ui/basics.tsx';

interface Item {
  id: number;
  name: string;
  size: number;
  progress: number;
  state: 'uploading' | 'done' | 'failed';
  error?: string;
  upload?: Upload<SourceView>;
}

/** File types the knowledge base reads. */
export const acceptedFiles = '.pdf,.docx,.html,.htm,.md,.markdown,.txt,.csv';
let nextId = 1;

/** The drop zone and the per-file list; `onUploaded` gets each new source. */
export function Uploads({ siteId, maxBytes, onUploaded }: { siteId: string; maxBytes: number; onUploaded(s: SourceView): void }) {
  const { t, lang } = useI18n();
  const [items, setItems] = useState<Item[]>([]);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const patch = (id: number, change: Partial<Item>) => setItems((list) => list.map((i) => (i.id === id ? { ...i, ...change } : i)));

  const start = (files: FileList | File[]) => {
    for (const file of Array.from(files)) {
      const id = nextId++;
      if (file.size > maxBytes) {
        setItems((list) => [...list, { id, name: file.name, size: file.size, progress: 0, state: 'failed', error: t('upload.tooLarge', { max: bytes(maxBytes, lang) }) }]);
        continue;
      }
      const upload = uploadFile<SourceView>(`/sites/${siteId}/sources/upload`, file, (progress) => patch(id, { progress }));
      setItems((list) => [...list, { id, name: file.name, size: file.size, progress: 0, state: 'uploading', upload }]);
      upload.done.then(
        (source) => {
          patch(id, { state: 'done', progress: 1 });
          onUploaded(source);
        },
        (err: ApiError) => patch(id, { state: 'failed', error: errorText(lang, err) }),
      );
    }
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (e.dataTransfer.files.length) start(e.dataTransfer.files);
  };

  return (
    <div className="uploads">
      <div
        className={over ? 'dropzone over' : 'dropzone'}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>{t('upload.drop')}</p>
        <p className="small muted">{t('upload.types', { max: bytes(maxBytes, lang) })}</p>
        <button type="button" onClick={() => input.current?.click()}>
          {t('upload.choose')}
        </button>
        <input
          ref={input}
          type="file"
          multiple
          accept={acceptedFiles}
          className="visually-hidden"
          aria-label={t('upload.choose')}
          tabIndex={-1}
          onChange={(e) => {
            if (e.target.files) start(e.target.files);
            e.target.value = '';
          }}
        />
      </div>
      {items.length ? (
        <ul className="upload-list" aria-label={t('upload.list')}>
          {items.map((i) => (
            <li key={i.id} data-state={i.state}>
              <div className="row">
                <span className="break">{i.name}</span>
                <span className="small muted">{bytes(i.size, lang)}</span>
                {i.state === 'uploading' ? (
                  <button type="button" className="link" onClick={() => i.upload?.abort()}>
                    {t('common.cancel')}
                  </button>
                ) : null}
              </div>
              {i.state !== 'failed' ? <ProgressBar value={i.progress} label={t('upload.progressOf', { name: i.name })} /> : null}
              <p className={i.state === 'failed' ? 'small error-text' : 'small muted'} role={i.state === 'failed' ? 'alert' : undefined}>
                {i.state === 'uploading' ? t('upload.uploading', { pct: Math.round(i.progress * 100) }) : i.state === 'done' ? t('upload.done') : i.error}
              </p>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
