// snowball-stemmers ships no types: just the part the local embedder uses.
declare module 'snowball-stemmers' {
  /** A Snowball stemmer for one language; expects lowercase words. */
  export interface Stemmer {
    stem(word: string): string;
  }
  /** Creates the stemmer for a Snowball algorithm name ("english", "finnish", …). */
  export function newStemmer(language: string): Stemmer;
  /** The algorithm names `newStemmer` accepts. */
  export function algorithms(): string[];
}
