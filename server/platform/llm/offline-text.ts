/** The languages the offline answerer speaks itself (others get English). */
export const offlineLanguages = ['en', 'fi', 'sv', 'de', 'fr', 'es'] as const;
/** One of `offlineLanguages`. */
export type OfflineLanguage = (typeof offlineLanguages)[number];

/** The offline answerer's own words: a lead-in that says the answer is quoted, and the not-found reply. */
export const offlineText: Record<OfflineLanguage, { leadIn: string; notFound: string }> = {
  en: {
    leadIn: "Here is what this site's content says (quoted):",
    notFound: "I could not find this in the site's content. If you leave your email, the team can get back to you.",
  },
  fi: {
    leadIn: 'Näin sivuston sisällössä sanotaan (lainaus):',
    notFound: 'En löytänyt tätä sivuston sisällöstä. Jos jätät sähköpostiosoitteesi, tiimi voi palata asiaan.',
  },
  sv: {
    leadIn: 'Så här står det i webbplatsens innehåll (citat):',
    notFound: 'Jag hittade inte detta i webbplatsens innehåll. Om du lämnar din e-postadress kan teamet återkomma till dig.',
  },
  de: {
    leadIn: 'Das steht in den Inhalten dieser Website (Zitat):',
    notFound: 'Ich habe dazu nichts in den Inhalten dieser Website gefunden. Wenn Sie Ihre E-Mail-Adresse hinterlassen, meldet sich das Team bei Ihnen.',
  },
  fr: {
    leadIn: 'Voici ce que dit le contenu de ce site (citation) :',
    notFound: "Je n'ai pas trouvé cette information dans le contenu du site. Si vous laissez votre e-mail, l'équipe pourra vous recontacter.",
  },
  es: {
    leadIn: 'Esto es lo que dice el contenido de este sitio (cita):',
    notFound: 'No he encontrado esto en el contenido del sitio. Si dejas tu correo electrónico, el equipo podrá ponerse en contacto contigo.',
  },
};

/** Frequent function words per language: ignored when matching, and the evidence for guessing a question's language. */
export const stopWords: Record<OfflineLanguage, ReadonlySet<string>> = {
  en: words('the a an and or of to in on at for is are was were be been it its this that these those i me my you your we our they their he she what which who whom how why when where can could do does did will would should have has had not no with from by as about into there here any some all more most than then so if just get'),
  fi: words('ja tai on ovat oli ole olla ei en et se ne tämä tuo nämä mikä mitä miten miksi milloin missä mistä mihin kuka kuinka voi voiko voin voinko onko minä sinä hän me te he minun sinun meidän teidän että kun jos niin mutta myös vain sekä kanssa ilman'),
  sv: words('och eller att det den de en ett är var vara har hade inte jag du vi ni han hon hur vad vilken vilka när var varför kan kunna ska skulle med för på av om till från som min mitt din ditt vår er finns också bara'),
  de: words('der die das den dem des ein eine einen einem einer und oder ist sind war sein hat haben nicht ich du sie wir ihr er es wie was wer wann wo warum welche welcher kann können soll mit für auf von zu im in an bei aus über auch nur mein meine ihre ihr gibt'),
  fr: words('le la les un une des du de et ou est sont était être a ont pas ne je tu il elle nous vous ils elles comment quoi que qui quand où pourquoi quel quelle quels quelles peut peux pouvez avec pour sur dans par au aux ce cette ces mon ma mes votre vos aussi seulement'),
  es: words('el la los las un una unos unas y o es son era ser ha han no yo tú él ella nosotros vosotros ellos cómo qué quién cuándo dónde por porqué cuál cuáles puede puedo pueden con para en de del al a este esta estos estas mi mis tu tus su sus también solo hay'),
};

function words(list: string): ReadonlySet<string> {
  return new Set(list.split(' '));
}

/** The offline language for a code (`fi-FI` → `fi`), or null when it is none of the six. */
export function offlineLanguage(code: string | undefined): OfflineLanguage | null {
  const lang = code?.slice(0, 2).toLowerCase();
  return (offlineLanguages as readonly string[]).includes(lang ?? '') ? (lang as OfflineLanguage) : null;
}

/** The language of a short text by its function words; English when nothing points elsewhere. */
export function guessLanguage(text: string): OfflineLanguage {
  const tokens = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  let best: OfflineLanguage = 'en';
  let bestHits = 0;
  for (const lang of offlineLanguages) {
    const hits = tokens.filter((t) => stopWords[lang].has(t)).length;
    if (hits > bestHits) [best, bestHits] = [lang, hits];
  }
  return best;
}
