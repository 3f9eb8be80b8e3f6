import { useRef, useState } from 'preact/hooks';
import { api, get } from '../api/client.js';
import { readNdjson } from '../api/ndjson.js';
import type { DispatchFunction, Image, Secret, WatchEvent } from '../api/types.js';
import { Field, NAME_PATTERN, Problem, StatusBadge } from '../components.js';
import { useApi } from '../hooks.js';
import { filesOfDrop, filesOfInput, packSource, sourceFilesOf } from '../lib/pack-source.js';
import type { SourceFile } from '../lib/pack-source.js';
import { href } from '../route.js';

interface Form {
  name: string;
  image: string;
  handler: string;
  schemaIn: string;
  schemaOut: string;
  secrets: string[];
  replicas: string;
  timeout: string;
}

const EMPTY: Form = { name: '', image: '', handler: '', schemaIn: '', schemaOut: '', secrets: [], replicas: '', timeout: '' };

/** A function name from a file name: `hello_world.py` → `hello-world`. */
function nameFrom(path: string): string {
  const base = path.split('/').pop() ?? path;
  return base
    .replace(/\.[^.]*$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}

function imageFor(files: SourceFile[]): string {
  if (files.some((file) => file.path.endsWith('.py'))) return 'python3';
  if (files.some((file) => /\.(c|m)?js$/.test(file.path))) return 'nodejs';
  return '';
}

function parseSchema(text: string, which: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`schema.${which} is not JSON: ${(error as Error).message}`);
  }
}

/** Upload: a file or folder becomes a function (created, or updated when the name exists), followed until READY. */
export function UploadPage() {
  const images = useApi<Image[]>('/v1/image');
  const secrets = useApi<Secret[]>('/v1/secret');
  const [form, setForm] = useState<Form>(EMPTY);
  const [files, setFiles] = useState<SourceFile[]>([]);
  const [dragging, setDragging] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [lines, setLines] = useState<string[]>([]);
  const [outcome, setOutcome] = useState<{ status: string; reason?: string }>();
  const [busy, setBusy] = useState(false);
  // On an update, fields left alone keep their value: secrets are sent only once a box was ticked or cleared.
  const [secretsTouched, setSecretsTouched] = useState(false);
  const abort = useRef<AbortController>();

  const set = (field: keyof Form) => (event: { currentTarget: { value: string } }) =>
    setForm((previous) => ({ ...previous, [field]: event.currentTarget.value }));

  function choose(chosen: SourceFile[]) {
    const picked = sourceFilesOf(chosen);
    if (picked.length === 0) return setProblem('that folder holds no files to upload (.git folders are left out)');
    setFiles(picked);
    setProblem(undefined);
    const first = picked.length === 1 ? picked[0]?.path : undefined;
    setForm((previous) => ({
      ...previous,
      name: previous.name || (first ? nameFrom(first) : ''),
      image: previous.image || imageFor(picked),
    }));
  }

  async function submit(event: Event) {
    event.preventDefault();
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setProblem(undefined);
    setOutcome(undefined);
    setLines([]);
    setBusy(true);
    try {
      if (files.length === 0) throw new Error('choose a file or a folder first');
      const schema = { in: parseSchema(form.schemaIn, 'in'), out: parseSchema(form.schemaOut, 'out') };
      const body = {
        image: form.image,
        source: await packSource(files),
        ...(form.handler.trim() === '' ? {} : { handler: form.handler.trim() }),
        ...(schema.in === undefined && schema.out === undefined ? {} : { schema }),
        ...(form.replicas === '' ? {} : { replicas: Number(form.replicas) }),
        ...(form.timeout === '' ? {} : { timeout: Number(form.timeout) }),
      };
      const path = `/v1/function/${encodeURIComponent(form.name)}`;
      // The list, not a GET of the name: a 404 would be logged by the browser as an error.
      const exists = (await get<DispatchFunction[]>('/v1/function')).some((fn) => fn.name === form.name);
      if (exists) await api('PUT', path, { ...body, ...(secretsTouched ? { secrets: form.secrets } : {}) });
      else await api('POST', '/v1/function', { name: form.name, ...body, secrets: form.secrets });
      setLines([`${exists ? 'updated' : 'created'} function ${form.name}`]);
      for await (const watched of readNdjson<WatchEvent>(`${path}/events`, controller.signal)) {
        const line =
          watched.type === 'progress'
            ? watched.line
            : watched.type === 'status'
              ? `${watched.status}${watched.reason ? `: ${watched.reason}` : ''}`
              : 'deleted';
        if (line !== undefined) setLines((previous) => [...previous, line]);
        if (watched.type === 'status' && (watched.status === 'READY' || watched.status === 'ERROR')) {
          setOutcome({ status: watched.status, reason: watched.reason });
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1>Upload a function</h1>
      <form class="upload" onSubmit={submit}>
        <div
          class={`drop${dragging ? ' dragging' : ''}`}
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(event) => {
            event.preventDefault();
            setDragging(false);
            if (event.dataTransfer) filesOfDrop(event.dataTransfer).then(choose, (error: Error) => setProblem(error.message));
          }}
        >
          <p>Drop a source file or folder here, or choose one:</p>
          {/* The inputs take the keyboard focus; their labels, right after them, show it and take the clicks. */}
          <input
            id="source-file"
            class="visually-hidden"
            type="file"
            onChange={(event) => event.currentTarget.files && choose(filesOfInput(event.currentTarget.files))}
          />
          <label class="button" for="source-file">
            Choose a file
          </label>
          <input
            id="source-folder"
            class="visually-hidden"
            type="file"
            {...{ webkitdirectory: true }}
            onChange={(event) => event.currentTarget.files && choose(filesOfInput(event.currentTarget.files))}
          />
          <label class="button" for="source-folder">
            Choose a folder
          </label>
          <p class="picked" aria-live="polite">
            {files.length === 0
              ? 'Nothing chosen yet.'
              : files.length === 1
                ? `Chosen: ${files[0]?.path}`
                : `Chosen: ${files.length} files`}
          </p>
        </div>
        <div class="grid">
          <Field id="fn-name" label="Name">
            <input id="fn-name" required pattern={NAME_PATTERN} maxLength={63} value={form.name} onInput={set('name')} />
          </Field>
          <Field id="fn-image" label="Image">
            <select id="fn-image" required value={form.image} onChange={set('image')}>
              <option value="">{images.loading ? 'Loading images…' : 'Choose an image'}</option>
              {images.data?.map((image) => (
                <option key={image.name} value={image.name}>
                  {image.name} ({image.status})
                </option>
              ))}
            </select>
          </Field>
          <Field id="fn-handler" label="Handler" hint="module.function for Python, a file for Node; empty picks the default">
            <input id="fn-handler" value={form.handler} onInput={set('handler')} aria-describedby="fn-handler-hint" />
          </Field>
          <Field id="fn-replicas" label="Replicas">
            <input id="fn-replicas" type="number" min={0} value={form.replicas} onInput={set('replicas')} />
          </Field>
          <Field id="fn-timeout" label="Timeout (ms)">
            <input id="fn-timeout" type="number" min={1} value={form.timeout} onInput={set('timeout')} />
          </Field>
        </div>
        <fieldset>
          <legend>Secrets</legend>
          {secrets.data?.length === 0 && <p class="empty">No secrets yet.</p>}
          {secrets.data?.map((secret) => (
            <label key={secret.name} class="check">
              <input
                type="checkbox"
                checked={form.secrets.includes(secret.name)}
                onChange={(event) => {
                  const on = event.currentTarget.checked;
                  setSecretsTouched(true);
                  setForm((previous) => ({
                    ...previous,
                    secrets: on ? [...previous.secrets, secret.name] : previous.secrets.filter((name) => name !== secret.name),
                  }));
                }}
              />
              {secret.name}
            </label>
          ))}
        </fieldset>
        <div class="grid">
          <Field id="fn-schema-in" label="schema.in (JSON Schema, optional)">
            <textarea id="fn-schema-in" rows={4} spellcheck={false} value={form.schemaIn} onInput={set('schemaIn')} />
          </Field>
          <Field id="fn-schema-out" label="schema.out (JSON Schema, optional)">
            <textarea id="fn-schema-out" rows={4} spellcheck={false} value={form.schemaOut} onInput={set('schemaOut')} />
          </Field>
        </div>
        <button type="submit" disabled={busy}>
          {busy ? 'Deploying…' : 'Upload and deploy'}
        </button>
      </form>
      <Problem error={problem} title="Upload failed" />
      {(lines.length > 0 || outcome) && (
        <section aria-labelledby="progress-title">
          <h2 id="progress-title">Progress {outcome && <StatusBadge status={outcome.status} />}</h2>
          {outcome?.status === 'ERROR' && <Problem error={outcome.reason ?? 'the function failed to deploy'} title={form.name} />}
          <pre class="code log" role="log" aria-label="Build and deploy progress">
            {lines.join('\n')}
          </pre>
          {outcome?.status === 'READY' && (
            <p>
              <a href={href('tester', { function: form.name })}>Test {form.name}</a> ·{' '}
              <a href={href('endpoints', { function: form.name })}>Expose it on an endpoint</a>
            </p>
          )}
        </section>
      )}
    </>
  );
}
