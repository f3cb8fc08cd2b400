// A refused save, shown where it belongs: the server lists each problem of a refused body as
// `{ path, kind, limit? }` (docs/protocol.md); each settings form names which of its fields an API
// path is, and the problem appears under that field, in words and in the console's language,
// instead of as `settings.allowedOrigins.2: …` above the form. Used by every settings form.
import type { FieldIssue } from '@servus/shared';
import { ApiError, errorText } from './api.js';
import type { Key, Translate } from './i18n.js';

/** Where an API path goes in a form: the field's `name`, how to word a format problem, whether it is one entry per line. */
export interface FieldSpec {
  field: string;
  /** Said for a `format` problem (the server's words are English and name no example). */
  hint?: Key;
  /** The field is a textarea with one entry per line: the path's list index is the line. */
  lines?: boolean;
}

/**
 * API paths (dotted; `#` stands for a list index) → form fields. A pattern also covers the paths
 * below it (`settings.businessHours.weekly.mon` covers `….mon.0`); the longest match wins.
 */
export type FieldMap = Record<string, string | FieldSpec>;

/**
 * The problems of a failed request, when it was refused for its fields (BAD_FRAME). Any other
 * refusal (a taken key, no right) is about the request as a whole, even when it names a field.
 */
export function issuesOf(err: unknown): FieldIssue[] {
  if (!(err instanceof ApiError) || err.code !== 'BAD_FRAME') return [];
  if (err.issues?.length) return err.issues;
  // An older answer (or a route that checks a field itself): its one path.
  return err.path ? [{ path: err.path, kind: 'invalid', message: err.message.replace(/^[^:]*: /, '') }] : [];
}

/** The field an API path belongs to, with the list index (0-based) a `lines` field reads it at. */
export function fieldOf(path: string, fields: FieldMap): { spec: FieldSpec; index: number | null } | null {
  const parts = path.split('.');
  let best: { spec: FieldSpec; index: number | null; length: number } | null = null;
  for (const [pattern, value] of Object.entries(fields)) {
    const want = pattern.split('.');
    if (want.length > parts.length || (best && want.length <= best.length)) continue;
    let index: number | null = null;
    const matches = want.every((w, i) => {
      if (w !== '#') return w === parts[i];
      if (!/^\d+$/.test(parts[i]!)) return false;
      index ??= Number(parts[i]);
      return true;
    });
    if (!matches) continue;
    const spec = typeof value === 'string' ? { field: value } : value;
    // A `lines` field without `#` in its pattern takes the index right below it.
    if (spec.lines && index === null && /^\d+$/.test(parts[want.length] ?? '')) index = Number(parts[want.length]);
    best = { spec, index, length: want.length };
  }
  return best && { spec: best.spec, index: best.index };
}

/** One problem in words: "At most 200 characters", "Line 3: Must be an origin such as …". */
export function issueText(issue: FieldIssue, t: Translate, spec?: FieldSpec, index?: number | null): string {
  const n = issue.limit ?? 0;
  let text: string;
  if (issue.kind === 'format' && spec?.hint) text = t(spec.hint);
  else if (issue.kind === 'invalid' || issue.kind === 'format') text = `${t(`err_${issue.kind}`)} (${issue.message})`;
  else text = t(`err_${issue.kind}`, { n });
  return spec?.lines && index !== null && index !== undefined ? t('err_line', { n: index + 1, text }) : text;
}

export interface FormErrors {
  /** Field name → what is wrong with it (the first problem found). */
  fields: Map<string, string>;
  /** What to say above or beside the form: "Please correct the marked fields", or the problems no field shows. */
  summary: string;
}

/** A failed request as field messages plus one summary line; anything but a refused body is summary only. */
export function formErrors(err: unknown, fields: FieldMap, t: Translate): FormErrors {
  const issues = issuesOf(err);
  const placed = new Map<string, string>();
  const loose: string[] = [];
  for (const issue of issues) {
    const found = fieldOf(issue.path, fields);
    if (!found) loose.push(`${issue.path ? `${issue.path}: ` : ''}${issueText(issue, t)}`);
    else if (!placed.has(found.spec.field)) placed.set(found.spec.field, issueText(issue, t, found.spec, found.index));
  }
  if (!issues.length) return { fields: placed, summary: errorText(err, t) };
  return { fields: placed, summary: [...(placed.size ? [t('err_form')] : []), ...loose].join(' ') };
}

const ERROR_CLASS = 'field-error';

/** Removes every field message of a form (before a new attempt, or after a save). */
export function clearFieldErrors(form: HTMLFormElement): void {
  for (const el of form.querySelectorAll(`.${ERROR_CLASS}`)) el.remove();
  for (const el of form.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    el.removeAttribute('aria-describedby');
  }
}

let nextId = 0;

/**
 * Puts each message under its field: inside the field's label (or after the control, or at the end
 * of a checkbox group), the control marked `aria-invalid` and described by it. Typing in the field
 * takes its message away. The first invalid control gets the focus.
 */
export function showFieldErrors(form: HTMLFormElement, fields: Map<string, string>): void {
  clearFieldErrors(form);
  let first: HTMLElement | null = null;
  for (const [name, text] of fields) {
    const controls = [...form.querySelectorAll<HTMLElement>('[name]')].filter((el) => el.getAttribute('name') === name);
    const control = controls[0];
    if (!control) continue;
    const message = document.createElement('span');
    message.className = `${ERROR_CLASS} error small`;
    message.id = `field-error-${++nextId}`;
    message.dataset.fieldError = name;
    message.textContent = text;
    const group = controls.length > 1 ? control.closest('fieldset, .checks') : null;
    const label = control.closest('label');
    if (group) group.append(message);
    else if (label) label.append(message);
    else control.after(message);
    for (const c of controls) {
      c.setAttribute('aria-invalid', 'true');
      c.setAttribute('aria-describedby', message.id);
      c.addEventListener(
        'input',
        () => {
          message.remove();
          for (const other of controls) {
            other.removeAttribute('aria-invalid');
            other.removeAttribute('aria-describedby');
          }
        },
        { once: true },
      );
    }
    first ??= control;
  }
  first?.focus();
}

/** A failed save of `form`: messages at the fields, and the summary line returned for the form's status. */
export function reportFormError(form: HTMLFormElement | null, err: unknown, fields: FieldMap, t: Translate): string {
  const { fields: placed, summary } = formErrors(err, fields, t);
  if (form) showFieldErrors(form, placed);
  else if (placed.size) return [...placed.values()].join(' ');
  return summary;
}
