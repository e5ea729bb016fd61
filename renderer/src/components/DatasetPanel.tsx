/** Import a dataset (MNIST, an image folder, IDX files) and preview it class by class. */
import { useCallback, useEffect, useId, useState } from 'react';
import type {
  DatasetPreview,
  ImportSource,
  ProjectSummary,
  UnlearnClient,
} from '../../../native/services/api';
import { ErrorMessage, FocusHeading, NumberField, PathField, Section, useAction } from './ui';

type Kind = ImportSource['kind'];

export function PreviewGrid({ preview }: { preview: DatasetPreview }) {
  return (
    <ul className="preview-grid" aria-label={`Examples of each class of ${preview.name}`}>
      {preview.classes.map((c) => (
        <li key={c.index} className="preview-class">
          <figure>
            <figcaption>
              <strong>Class {c.name}</strong> <span className="hint">{c.trainCount} training images</span>
            </figcaption>
            <div className="thumbs">
              {c.thumbnails.map((src, i) => (
                <img
                  // biome-ignore lint/suspicious/noArrayIndexKey: the thumbnails of a class never reorder
                  key={i}
                  src={src}
                  alt={`Class ${c.name}, example ${i + 1}`}
                  width={preview.shape[1]}
                  height={preview.shape[0]}
                />
              ))}
            </div>
          </figure>
        </li>
      ))}
    </ul>
  );
}

export function DatasetPanel(props: {
  client: UnlearnClient;
  summary: ProjectSummary;
  onChanged: () => void;
}) {
  const { client, summary, onChanged } = props;
  const [kind, setKind] = useState<Kind>('mnist');
  const [limit, setLimit] = useState('1000');
  const [folder, setFolder] = useState('');
  const [skipCorrupt, setSkipCorrupt] = useState(false);
  const [images, setImages] = useState('');
  const [labels, setLabels] = useState('');
  const [preview, setPreview] = useState<DatasetPreview | null>(null);
  const [skipped, setSkipped] = useState<{ file: string; reason: string }[]>([]);
  const imp = useAction();
  const prev = useAction();
  const groupId = useId();
  const latest = summary.datasets.at(-1);

  const loadPreview = useCallback(
    (datasetId: number) =>
      prev.run(async () => setPreview(await client.call('dataset.preview', { datasetId }))),
    [client, prev.run],
  );

  useEffect(() => {
    if (latest && preview?.datasetId !== latest.id) void loadPreview(latest.id);
  }, [latest, preview?.datasetId, loadPreview]);

  const source = (): ImportSource => {
    if (kind === 'mnist') return { kind, limit: Number(limit) };
    if (kind === 'folder') return { kind, path: folder, skipCorrupt };
    return { kind, images, labels };
  };

  const ready =
    kind === 'mnist'
      ? Number(limit) >= 20
      : kind === 'folder'
        ? folder.trim() !== ''
        : images.trim() && labels.trim();

  return (
    <div>
      <FocusHeading>Dataset</FocusHeading>
      <p className="lead">
        The images the model learns from, one class per label. Unlearn Studio keeps them in the project with a
        training, a test and a held-out part (never trained on, used by the membership test).
      </p>
      <Section title="Import a dataset">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void imp.run(async () => {
              const r = await client.call('dataset.import', { source: source() });
              setSkipped(r.skipped);
              onChanged();
              await loadPreview(r.dataset.id);
            });
          }}
        >
          <fieldset>
            <legend id={groupId}>Source</legend>
            <label className="radio">
              <input
                type="radio"
                name="source"
                checked={kind === 'mnist'}
                onChange={() => setKind('mnist')}
              />
              MNIST handwritten digits (built in)
            </label>
            <label className="radio">
              <input
                type="radio"
                name="source"
                checked={kind === 'folder'}
                onChange={() => setKind('folder')}
              />
              A folder of images, one sub-folder per class
            </label>
            <label className="radio">
              <input type="radio" name="source" checked={kind === 'idx'} onChange={() => setKind('idx')} />
              IDX files (images and labels, MNIST format)
            </label>
          </fieldset>
          {kind === 'mnist' && (
            <NumberField
              label="Number of training images"
              value={limit}
              onChange={setLimit}
              min={20}
              max={60000}
              step={1}
              hint="A fifth as many test and held-out images are added. 60000 takes the whole of MNIST."
            />
          )}
          {kind === 'folder' && (
            <>
              <PathField
                label="Image folder"
                value={folder}
                onChange={setFolder}
                client={client}
                pick="folder"
                placeholder="/home/me/images"
                hint="folder/<class>/*.png|jpg, or folder/train/<class>/… and folder/test/<class>/…"
              />
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={skipCorrupt}
                  onChange={(e) => setSkipCorrupt(e.target.checked)}
                />
                Skip images that cannot be read (instead of stopping)
              </label>
            </>
          )}
          {kind === 'idx' && (
            <>
              <PathField
                label="Images file"
                value={images}
                onChange={setImages}
                client={client}
                pick="file"
              />
              <PathField
                label="Labels file"
                value={labels}
                onChange={setLabels}
                client={client}
                pick="file"
              />
            </>
          )}
          <button type="submit" className="primary" disabled={imp.busy || !ready}>
            {imp.busy ? 'Importing…' : 'Import dataset'}
          </button>
          <ErrorMessage error={imp.error} />
          {skipped.length > 0 && (
            <details className="warning">
              <summary>{skipped.length} images could not be read and were skipped</summary>
              <ul>
                {skipped.map((s) => (
                  <li key={s.file}>
                    <span className="mono">{s.file}</span>: {s.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </form>
      </Section>
      {latest && (
        <Section title={`Preview: ${latest.name}`}>
          <p>
            {latest.sizes.train} training, {latest.sizes.test} test and {latest.sizes.heldout} held-out images
            of {latest.shape[0]}×{latest.shape[1]} pixels ({latest.shape[2] === 1 ? 'grey' : 'colour'}),{' '}
            {latest.classNames.length} classes.
          </p>
          {prev.busy && !preview && <p aria-live="polite">Loading the preview…</p>}
          <ErrorMessage error={prev.error} />
          {preview && preview.datasetId === latest.id && <PreviewGrid preview={preview} />}
        </Section>
      )}
    </div>
  );
}
