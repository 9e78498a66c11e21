/** Canned replies, in the widget's languages (the model answers in the visitor's language itself). */
const texts = {
  noAnswer: {
    en: "I couldn't find an answer to that in this site's content. If you leave your email, the team can get back to you.",
    fi: 'En löytänyt vastausta tämän sivuston sisällöstä. Jos jätät sähköpostiosoitteesi, tiimi voi palata asiaan.',
    sv: 'Jag hittade inget svar på det i webbplatsens innehåll. Om du lämnar din e-postadress kan teamet återkomma till dig.',
    de: 'Dazu habe ich in den Inhalten dieser Website keine Antwort gefunden. Wenn Sie Ihre E-Mail-Adresse hinterlassen, meldet sich das Team bei Ihnen.',
    fr: "Je n'ai pas trouvé de réponse dans le contenu de ce site. Si vous laissez votre e-mail, l'équipe pourra vous recontacter.",
    es: 'No encontré una respuesta en el contenido de este sitio. Si dejas tu correo electrónico, el equipo podrá ponerse en contacto contigo.',
  },
  overBudget: {
    en: "The assistant can't answer more questions today. Leave your email and the team will get back to you.",
    fi: 'Avustaja ei voi vastata enempää kysymyksiin tänään. Jätä sähköpostiosoitteesi, niin tiimi palaa asiaan.',
    sv: 'Assistenten kan inte svara på fler frågor i dag. Lämna din e-postadress så återkommer teamet.',
    de: 'Der Assistent kann heute keine weiteren Fragen beantworten. Hinterlassen Sie Ihre E-Mail-Adresse, dann meldet sich das Team.',
    fr: "L'assistant ne peut plus répondre aujourd'hui. Laissez votre e-mail et l'équipe vous recontactera.",
    es: 'El asistente no puede responder más preguntas hoy. Deja tu correo electrónico y el equipo se pondrá en contacto contigo.',
  },
  failed: {
    en: 'Sorry, something went wrong while answering. Please try again.',
    fi: 'Pahoittelut, vastaamisessa tapahtui virhe. Yritä uudelleen.',
    sv: 'Något gick fel när svaret skulle skapas. Försök igen.',
    de: 'Beim Antworten ist ein Fehler aufgetreten. Bitte versuchen Sie es erneut.',
    fr: "Désolé, une erreur s'est produite. Veuillez réessayer.",
    es: 'Lo siento, algo salió mal al responder. Inténtalo de nuevo.',
  },
} as const;

/** A canned reply in `language` (first two letters; English otherwise). */
export function cannedText(kind: keyof typeof texts, language: string | null | undefined): string {
  const lang = (language ?? 'en').slice(0, 2) as keyof (typeof texts)['noAnswer'];
  return texts[kind][lang] ?? texts[kind].en;
}
