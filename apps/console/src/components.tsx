import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export function StatusBadge({ status }: { status: string }) {
  return <span class={`status status-${status.toLowerCase()}`}>{status}</span>;
}

/** An error where a person looks for it: at the top of what failed, announced to screen readers. */
export function Problem({ error, title }: { error: Error | string | undefined; title?: string }) {
  if (error === undefined) return null;
  const message = typeof error === 'string' ? error : error.message;
  return (
    <p class="error" role="alert">
      {title && <strong>{title}: </strong>}
      {message}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** JSON shown as indented text. */
export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <pre class="code" aria-label={label} tabIndex={0}>
      {value === undefined ? '(nothing)' : JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** Copies `text`; says so, or says to select it by hand where the clipboard is not allowed. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [said, setSaid] = useState('');
  return (
    <span class="copy">
      <button
        type="button"
        onClick={() =>
          navigator.clipboard.writeText(text).then(
            () => setSaid('Copied'),
            () => setSaid('Select the text to copy it'),
          )
        }
      >
        {label}
      </button>
      <span role="status">{said}</span>
    </span>
  );
}

export function Field({ id, label, hint, children }: { id: string; label: string; hint?: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {hint && <small id={`${id}-hint`}>{hint}</small>}
    </div>
  );
}

export function formatTime(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  return new Date(seconds * 1000).toLocaleString();
}

/** A DNS-1123 label, as an input's `pattern` (browsers compile it with the `v` flag, so `-` is escaped). */
export const NAME_PATTERN = '[a-z0-9]([a-z0-9\\-]*[a-z0-9])?';
