// The widget's UI strings in the six languages a site can choose (contracts/sites.ts `languages`).

/** Every UI string, by name. */
export interface Strings {
  open: string;
  close: string;
  title: string;
  aiNotice: string;
  newChat: string;
  log: string;
  you: string;
  assistant: string;
  inputLabel: string;
  placeholder: string;
  send: string;
  suggestions: string;
  thinking: string;
  sources: string;
  page: string;
  errorGeneric: string;
  errorBusy: string;
  errorNetwork: string;
  errorUnavailable: string;
  emailPrompt: string;
  emailLabel: string;
  emailSend: string;
  emailSkip: string;
  emailThanks: string;
  emailInvalid: string;
  poweredBy: string;
}

const en: Strings = {
  open: 'Open chat',
  close: 'Close chat',
  title: 'Chat',
  aiNotice: 'You are chatting with an AI assistant. It answers from this website’s content and can make mistakes.',
  newChat: 'New conversation',
  log: 'Conversation',
  you: 'You',
  assistant: 'Assistant',
  inputLabel: 'Your question',
  placeholder: 'Ask a question…',
  send: 'Send',
  suggestions: 'Suggested questions',
  thinking: 'The assistant is writing…',
  sources: 'Sources',
  page: 'page',
  errorGeneric: 'Sorry, something went wrong. Please try again.',
  errorBusy: 'Too many questions right now. Please wait a moment and try again.',
  errorNetwork: 'The connection was lost. Check your network and try again.',
  errorUnavailable: 'The assistant is not available right now.',
  emailPrompt: 'Leave your email and the team will get back to you.',
  emailLabel: 'Email address',
  emailSend: 'Send',
  emailSkip: 'No thanks',
  emailThanks: 'Thanks! The team will contact you by email.',
  emailInvalid: 'Please enter a valid email address.',
  poweredBy: 'Powered by Cloop',
};

const fi: Strings = {
  open: 'Avaa chat',
  close: 'Sulje chat',
  title: 'Chat',
  aiNotice: 'Keskustelet tekoälyavustajan kanssa. Se vastaa tämän sivuston sisällön perusteella ja voi erehtyä.',
  newChat: 'Uusi keskustelu',
  log: 'Keskustelu',
  you: 'Sinä',
  assistant: 'Avustaja',
  inputLabel: 'Kysymyksesi',
  placeholder: 'Kysy jotain…',
  send: 'Lähetä',
  suggestions: 'Ehdotetut kysymykset',
  thinking: 'Avustaja kirjoittaa…',
  sources: 'Lähteet',
  page: 'sivu',
  errorGeneric: 'Jotain meni vikaan. Yritä uudelleen.',
  errorBusy: 'Liikaa kysymyksiä juuri nyt. Odota hetki ja yritä uudelleen.',
  errorNetwork: 'Yhteys katkesi. Tarkista verkkoyhteys ja yritä uudelleen.',
  errorUnavailable: 'Avustaja ei ole juuri nyt käytettävissä.',
  emailPrompt: 'Jätä sähköpostiosoitteesi, niin otamme sinuun yhteyttä.',
  emailLabel: 'Sähköpostiosoite',
  emailSend: 'Lähetä',
  emailSkip: 'Ei kiitos',
  emailThanks: 'Kiitos! Otamme sinuun yhteyttä sähköpostitse.',
  emailInvalid: 'Anna kelvollinen sähköpostiosoite.',
  poweredBy: 'Palvelun tarjoaa Cloop',
};

const sv: Strings = {
  open: 'Öppna chatten',
  close: 'Stäng chatten',
  title: 'Chatt',
  aiNotice: 'Du chattar med en AI-assistent. Den svarar utifrån webbplatsens innehåll och kan göra fel.',
  newChat: 'Ny konversation',
  log: 'Konversation',
  you: 'Du',
  assistant: 'Assistent',
  inputLabel: 'Din fråga',
  placeholder: 'Ställ en fråga…',
  send: 'Skicka',
  suggestions: 'Föreslagna frågor',
  thinking: 'Assistenten skriver…',
  sources: 'Källor',
  page: 'sida',
  errorGeneric: 'Något gick fel. Försök igen.',
  errorBusy: 'För många frågor just nu. Vänta en stund och försök igen.',
  errorNetwork: 'Anslutningen bröts. Kontrollera nätverket och försök igen.',
  errorUnavailable: 'Assistenten är inte tillgänglig just nu.',
  emailPrompt: 'Lämna din e-postadress så hör vi av oss.',
  emailLabel: 'E-postadress',
  emailSend: 'Skicka',
  emailSkip: 'Nej tack',
  emailThanks: 'Tack! Vi kontaktar dig via e-post.',
  emailInvalid: 'Ange en giltig e-postadress.',
  poweredBy: 'Drivs av Cloop',
};

const de: Strings = {
  open: 'Chat öffnen',
  close: 'Chat schließen',
  title: 'Chat',
  aiNotice: 'Sie chatten mit einem KI-Assistenten. Er antwortet anhand der Inhalte dieser Website und kann Fehler machen.',
  newChat: 'Neues Gespräch',
  log: 'Gespräch',
  you: 'Sie',
  assistant: 'Assistent',
  inputLabel: 'Ihre Frage',
  placeholder: 'Stellen Sie eine Frage…',
  send: 'Senden',
  suggestions: 'Vorgeschlagene Fragen',
  thinking: 'Der Assistent schreibt…',
  sources: 'Quellen',
  page: 'Seite',
  errorGeneric: 'Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.',
  errorBusy: 'Gerade zu viele Fragen. Bitte warten Sie einen Moment.',
  errorNetwork: 'Die Verbindung wurde unterbrochen. Bitte prüfen Sie Ihr Netzwerk.',
  errorUnavailable: 'Der Assistent ist gerade nicht verfügbar.',
  emailPrompt: 'Hinterlassen Sie Ihre E-Mail-Adresse, dann meldet sich das Team bei Ihnen.',
  emailLabel: 'E-Mail-Adresse',
  emailSend: 'Senden',
  emailSkip: 'Nein, danke',
  emailThanks: 'Danke! Das Team meldet sich per E-Mail.',
  emailInvalid: 'Bitte geben Sie eine gültige E-Mail-Adresse ein.',
  poweredBy: 'Bereitgestellt von Cloop',
};

const fr: Strings = {
  open: 'Ouvrir le chat',
  close: 'Fermer le chat',
  title: 'Chat',
  aiNotice: 'Vous discutez avec un assistant IA. Il répond à partir du contenu de ce site et peut se tromper.',
  newChat: 'Nouvelle conversation',
  log: 'Conversation',
  you: 'Vous',
  assistant: 'Assistant',
  inputLabel: 'Votre question',
  placeholder: 'Posez une question…',
  send: 'Envoyer',
  suggestions: 'Questions suggérées',
  thinking: 'L’assistant écrit…',
  sources: 'Sources',
  page: 'page',
  errorGeneric: 'Désolé, une erreur s’est produite. Veuillez réessayer.',
  errorBusy: 'Trop de questions en ce moment. Patientez un instant puis réessayez.',
  errorNetwork: 'La connexion a été interrompue. Vérifiez votre réseau et réessayez.',
  errorUnavailable: 'L’assistant n’est pas disponible pour le moment.',
  emailPrompt: 'Laissez votre e-mail et l’équipe vous recontactera.',
  emailLabel: 'Adresse e-mail',
  emailSend: 'Envoyer',
  emailSkip: 'Non merci',
  emailThanks: 'Merci ! L’équipe vous contactera par e-mail.',
  emailInvalid: 'Veuillez saisir une adresse e-mail valide.',
  poweredBy: 'Propulsé par Cloop',
};

const es: Strings = {
  open: 'Abrir el chat',
  close: 'Cerrar el chat',
  title: 'Chat',
  aiNotice: 'Estás hablando con un asistente de IA. Responde con el contenido de este sitio web y puede equivocarse.',
  newChat: 'Nueva conversación',
  log: 'Conversación',
  you: 'Tú',
  assistant: 'Asistente',
  inputLabel: 'Tu pregunta',
  placeholder: 'Haz una pregunta…',
  send: 'Enviar',
  suggestions: 'Preguntas sugeridas',
  thinking: 'El asistente está escribiendo…',
  sources: 'Fuentes',
  page: 'página',
  errorGeneric: 'Lo sentimos, algo salió mal. Inténtalo de nuevo.',
  errorBusy: 'Demasiadas preguntas ahora mismo. Espera un momento e inténtalo de nuevo.',
  errorNetwork: 'Se perdió la conexión. Comprueba tu red e inténtalo de nuevo.',
  errorUnavailable: 'El asistente no está disponible en este momento.',
  emailPrompt: 'Déjanos tu correo electrónico y el equipo se pondrá en contacto contigo.',
  emailLabel: 'Correo electrónico',
  emailSend: 'Enviar',
  emailSkip: 'No, gracias',
  emailThanks: '¡Gracias! El equipo te contactará por correo electrónico.',
  emailInvalid: 'Introduce un correo electrónico válido.',
  poweredBy: 'Con la tecnología de Cloop',
};

/** The strings of each UI language. */
export const catalog: Record<string, Strings> = { en, fi, sv, de, fr, es };

/** The strings of a language (English for anything unknown). */
export function stringsFor(language: string): Strings {
  return catalog[language] ?? en;
}

/** The message shown for an error code from the API or the stream. */
export function errorMessage(s: Strings, code: string): string {
  if (code === 'rate_limited') return s.errorBusy;
  if (code === 'network') return s.errorNetwork;
  if (/^(embed_key_invalid|origin_not_allowed|service_unavailable|budget_exceeded|feature_not_in_tier|tier_limit)$/.test(code)) return s.errorUnavailable;
  return s.errorGeneric;
}
