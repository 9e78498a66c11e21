// The email form: shown when the conversation asks for contact (`phase.askEmail`) or the site's
// content had no answer (`done.answered === false`). A visitor who sends it becomes a lead.
import { h, listen } from './dom.ts';
import type { Strings } from './i18n.ts';

/** What sending the email resulted in. */
export type LeadResult = 'ok' | 'invalid' | 'error';

/** Builds the form; `submit` posts the email; `done` runs when the form goes away (sent or declined). */
export function leadForm(s: Strings, submit: (email: string) => Promise<LeadResult>, done: () => void): HTMLFormElement {
  const input = h('input', { id: 'cloop-email', type: 'email', name: 'email', autocomplete: 'email', inputmode: 'email', maxlength: '320', required: '' });
  const problem = h('p', { class: 'bad', id: 'cloop-email-problem', hidden: '' });
  const button = h('button', { type: 'submit', class: 'btn' }, s.emailSend);
  const skip = h('button', { type: 'button', class: 'link' }, s.emailSkip);
  const form = h(
    'form',
    { class: 'msg lead', 'aria-labelledby': 'cloop-email-prompt', novalidate: '' },
    h('p', { id: 'cloop-email-prompt' }, s.emailPrompt),
    h('label', { for: 'cloop-email' }, s.emailLabel),
    h('div', { class: 'row' }, input, button),
    problem,
    skip,
  );
  const show = (message: string) => {
    problem.textContent = message;
    problem.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', 'cloop-email-problem');
    input.focus();
  };
  let sending = false;
  listen(form, 'submit', (event) => {
    event.preventDefault();
    const email = input.value.trim();
    if (sending) return;
    if (!email || !input.checkValidity()) return show(s.emailInvalid);
    sending = true;
    submit(email)
      .then((result) => {
        if (result === 'ok') {
          form.replaceWith(h('div', { class: 'msg note' }, s.emailThanks));
          done();
        } else show(result === 'invalid' ? s.emailInvalid : s.errorGeneric);
      })
      .catch(() => show(s.errorGeneric))
      .finally(() => (sending = false));
  });
  listen(skip, 'click', () => {
    form.remove();
    done();
  });
  return form;
}
