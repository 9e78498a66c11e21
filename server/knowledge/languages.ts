/** PostgreSQL text-search configurations for the languages Cloop speaks; `simple` otherwise. */
export const tsConfigs: Record<string, string> = {
  en: 'english',
  fi: 'finnish',
  sv: 'swedish',
  de: 'german',
  fr: 'french',
  es: 'spanish',
};

/** The text-search configuration for a document: its language if the site speaks it, else the site's first. */
export function tsConfigFor(documentLanguage: string | null, siteLanguages: string[]): string {
  const lang = documentLanguage?.slice(0, 2).toLowerCase();
  if (lang && siteLanguages.includes(lang) && tsConfigs[lang]) return tsConfigs[lang];
  return tsConfigs[siteLanguages[0] ?? ''] ?? 'simple';
}

/** The configurations a query is parsed with: every language of the site. */
export function queryConfigs(siteLanguages: string[]): string[] {
  const configs = siteLanguages.map((l) => tsConfigs[l]).filter((c): c is string => Boolean(c));
  return configs.length ? [...new Set(configs)] : ['simple'];
}
