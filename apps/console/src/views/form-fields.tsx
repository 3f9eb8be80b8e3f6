import type { DispatchFunction, Secret } from '../api/types.js';
import { Field, NAME_PATTERN } from '../components.js';
import type { Loaded } from '../hooks.js';

/** What a form's input or select hands back: the control's current value. */
type OnValue = (value: string) => void;

/** The name of the entity a form creates: a DNS-1123 label, as the gateway requires. */
export function NameField({ id, value, onValue }: { id: string; value: string; onValue: OnValue }) {
  return (
    <Field id={id} label="Name">
      <input id={id} required pattern={NAME_PATTERN} maxLength={63} value={value} onInput={(event) => onValue(event.currentTarget.value)} />
    </Field>
  );
}

/** A choice among the functions, with their status beside their names. */
export function FunctionSelect({
  id,
  functions,
  value,
  onValue,
}: {
  id: string;
  functions: Loaded<DispatchFunction[]>;
  value: string;
  onValue: OnValue;
}) {
  return (
    <Field id={id} label="Function">
      {/* Made anew once the functions arrive, so a value chosen before (a link's ?function=) selects its option. */}
      <select
        key={functions.data === undefined ? 'loading' : 'loaded'}
        id={id}
        required
        value={value}
        onChange={(event) => onValue(event.currentTarget.value)}
      >
        <option value="">{functions.loading ? 'Loading functions…' : 'Choose a function'}</option>
        {functions.data?.map((fn) => (
          <option key={fn.name} value={fn.name}>
            {fn.name} ({fn.status})
          </option>
        ))}
      </select>
    </Field>
  );
}

/** A choice among the secrets (names only: the console never reads their values here). */
export function SecretSelect({
  id,
  label,
  hint,
  required = false,
  secrets,
  value,
  onValue,
}: {
  id: string;
  label: string;
  hint?: string;
  required?: boolean;
  secrets: Loaded<Secret[]>;
  value: string;
  onValue: OnValue;
}) {
  return (
    <Field id={id} label={label} hint={hint}>
      <select
        id={id}
        required={required}
        value={value}
        onChange={(event) => onValue(event.currentTarget.value)}
        aria-describedby={hint === undefined ? undefined : `${id}-hint`}
      >
        <option value="">{secrets.data?.length === 0 ? 'No secrets yet' : 'Choose a secret'}</option>
        {secrets.data?.map((secret) => (
          <option key={secret.name} value={secret.name}>
            {secret.name}
          </option>
        ))}
      </select>
    </Field>
  );
}
