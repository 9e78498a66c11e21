import type { Phase } from '../../../contracts/widget.ts';

/** The phase after one visitor message, and what the message asked for. */
export interface PhaseUpdate {
  phase: Phase;
  /** The visitor asked for a person: contact, a call back, an email, a quote or a demo. */
  wantsContact: boolean;
  /** The visitor asked for a summary of the conversation (sent by email). */
  wantsSummary: boolean;
}

const order: Record<Phase, number> = { exploring: 0, learning: 1, requesting_contact: 2 };

/** From this many earlier messages on, any substantive question moves a conversation to `learning`. */
export const substantiveFromTurn = 2;

/**
 * The conversation's phase after `userMessage`. `requesting_contact` when the visitor asks for a
 * human, contact, a call back, an email, a quote, a demo or a summary (or writes their email);
 * `learning` when the message names specific product matters (prices, plans, setup,
 * compatibility, delivery…) or is a substantive question once the conversation is under way
 * (`turnCount` = messages before this one, any role, ≥ 2); otherwise `exploring`. Phases only move
 * forward. Patterns cover en, fi, sv, de, fr and es.
 */
export function nextPhase(current: Phase, userMessage: string, turnCount: number): PhaseUpdate {
  const text = userMessage.normalize('NFC').toLowerCase();
  const wantsSummary = SUMMARY.some((re) => re.test(text));
  const wantsContact = CONTACT.some((re) => re.test(text));
  let phase: Phase = 'exploring';
  if (wantsContact || wantsSummary) phase = 'requesting_contact';
  else if (DETAIL.some((re) => re.test(text)) || (turnCount >= substantiveFromTurn && isSubstantiveQuestion(text))) phase = 'learning';
  return { phase: order[phase] > order[current] ? phase : current, wantsContact, wantsSummary };
}

/** A word boundary for any script: `b` before, `e` after (JavaScript's `\b` knows only ASCII). */
const B = String.raw`(?<![\p{L}\p{N}])`;
const E = String.raw`(?![\p{L}\p{N}])`;
/** Compiles patterns written with `‹` (start of a word) and `›` (end of a word). */
const patterns = (...sources: string[]) => sources.map((s) => new RegExp(s.replaceAll('‹', B).replaceAll('›', E), 'u'));

const CONTACT = patterns(
  // an email address in the message: the visitor is leaving it to be contacted
  String.raw`[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+\.[\p{L}\p{N}.-]+`,
  // en
  '‹(?:talk|speak|chat)(?:ing)? (?:to|with) (?:a |an |the |your |some )?(?:human|person|someone|somebody|agent|representative|rep|salesperson|sales|support|team|staff|expert|consultant)',
  '‹(?:real|live|actual) (?:person|human|agent)›',
  '‹human›(?!-)',
  '‹(?:contact|call|phone|ring|email|e-mail|mail|text) me›',
  '‹(?:get|be|getting) (?:in touch|contacted)›',
  '‹(?:get in touch|reach out|contact you|contact (?:your )?(?:sales|support|team))',
  '‹how (?:can|do) i (?:contact|reach)›',
  '‹call ?-?backs?›|‹call me back›|‹(?:give|gimme) me a call›|‹send me an? (?:email|e-mail|mail|message)›',
  '‹quot(?:e|es|ation)› (?:for|on)›|‹(?:get|request|need|want|send me|ask for|like) (?:a |an )?(?:price )?quot(?:e|ation)›|‹quotation›',
  '‹demos?›|‹demonstration›',
  // fi
  '‹(?:ihmise(?:n|lle)|ihminen|oikea(?:n|lle)? (?:ihmi|henki)|asiakaspalvelija\\p{L}*|myyjä\\p{L}*|myyntiin|myynnin kanssa)',
  '‹(?:ota|ottakaa|otatteko|ottaisitte|voitteko ottaa) yhteyttä›|‹yhteydenot\\p{L}*|‹yhteyttä minuun›',
  '‹(?:soita|soittaa|soittakaa|soitatteko|soitatko|soittaisitte|soittaisitko) (?:minulle|mulle|takaisin)›|‹soittopyyn\\p{L}*|‹takaisinsoit\\p{L}*',
  '‹(?:lähettäkää|lähetä|laittakaa|laita) (?:minulle |mulle )?(?:sähköpostia|sähköposti|meiliä|viesti)\\p{L}*',
  '‹tarjouspyyn\\p{L}*|‹(?:pyydä|pyytää|pyytäisin|haluan|haluaisin|saada|saisinko|saanko|lähettäkää|tehkää) (?:\\p{L}+ )?tarjou\\p{L}*|‹tarjous (?:meille|minulle|yrityksellemme)›',
  '‹demo\\p{L}*|‹esittely\\p{L}*',
  // sv
  '‹(?:prata|tala|chatta) med (?:en |någon|en riktig |en människa|en person|säljare|support|er)|‹(?:riktig|verklig) (?:person|människa)›|‹människa›',
  '‹kontakta (?:mig|oss|er)›|‹(?:ring|ringa|maila|mejla|e-posta) (?:mig|upp)›|‹återuppringning›|‹bli kontaktad›|‹(?:skicka|skicka mig) (?:ett )?(?:mejl|mail|e-post)›',
  '‹offert\\p{L}*|‹prisförslag›|‹demo\\p{L}*|‹visning›',
  // de
  '‹(?:mit einem|mit einer) (?:menschen|mitarbeiter\\p{L}*|berater\\p{L}*|ansprechpartner\\p{L}*|person)›|‹mit (?:dem )?vertrieb›|‹mit jemandem (?:sprechen|reden)›|‹(?:echte[nmr]?|richtige[nmr]?) (?:person|mensch\\p{L}*)›',
  '‹(?:kontaktieren sie mich|kontakt aufnehmen|melden sie sich|rufen sie mich (?:an|zurück)|ruft mich an|rückruf\\p{L}*|zurückrufen)›',
  '‹(?:schicken|senden) sie mir (?:eine )?(?:e-mail|mail|nachricht)›|‹per (?:e-mail|mail) (?:kontaktieren|melden)›',
  '‹angebot (?:für|über|an|erstellen|anfordern|einholen|bekommen|erhalten)›|‹(?:ein|einem|ein individuelles|ein unverbindliches) angebot›|‹kostenvoranschlag›|‹demo\\p{L}*|‹vorführung›',
  // fr
  '‹(?:parler|discuter) (?:à|avec) (?:un |une |quelqu)|‹(?:vraie|vrai|réelle) personne›|‹humain›|‹conseill(?:er|ère)›',
  '‹(?:me contacter|contactez-moi|contacter quelqu|être contacté\\p{L}*|me rappeler|rappelez-moi|m’appeler|m\'appeler|appelez-moi|être rappelé\\p{L}*)›',
  '‹(?:m’envoyer|m\'envoyer|envoyez-moi) (?:un )?(?:e-mail|email|mail|courriel|message)›',
  '‹devis›|‹démo\\p{L}*|‹demo›',
  // es
  '‹(?:hablar|chatear) con (?:un |una |alguien|una persona|un agente|ventas|soporte)|‹persona real›|‹humano›',
  '‹(?:contactarme|contáctenme|contactadme|que me (?:contacten|llamen|escriban)|llamarme|llámenme|llamadme|devolver la llamada|devuélvanme la llamada)›',
  '‹(?:enviarme|envíenme|mandarme|mándenme) (?:un )?(?:correo|email|e-mail|mensaje)›',
  '‹presupuesto›|‹cotización›|‹demo›|‹demostración›',
);

const SUMMARY = patterns(
  '‹summar(?:y|ies|ise|ize)›|‹recap›',
  '‹yhteenve(?:to|don|doksi|toa)›|‹koonti›',
  '‹sammanfattning\\p{L}*|‹sammanfatta›',
  '‹zusammenfassung\\p{L}*|‹zusammenfassen›',
  '‹résumé›|‹résumer›|‹récapitulatif›|‹récap›',
  '‹resumen›|‹resumir›',
);

/** Specific product matters: price, plans, setup, integrations, compatibility, limits, delivery, warranty, comparisons. */
const DETAIL = patterns(
  // en
  '‹(?:price|prices|pricing|cost|costs|plan|plans|subscription|licen[cs]e|tier|discount|specs?|specifications?|integrat\\p{L}*|api|sdk|webhooks?|compatib\\p{L}*|install\\p{L}*|setup|set up|configur\\p{L}*|requirements?|warranty|guarantee|shipping|delivery|dimensions?|weight|size|version|limits?|difference between|compare|comparison|vs\\.?)›',
  // fi
  '‹(?:hin(?:ta|nat|nan|taa|noittelu\\p{L}*)|maksaa|kustann\\p{L}*|paketti\\p{L}*|tilaus\\p{L}*|lisenssi\\p{L}*|alennu\\p{L}*|integraat\\p{L}*|rajapin\\p{L}*|yhteensopi\\p{L}*|asennu\\p{L}*|asenta\\p{L}*|määrity\\p{L}*|vaatimu\\p{L}*|takuu\\p{L}*|toimitu\\p{L}*|toimitusaika\\p{L}*|mitat|versio\\p{L}*|ero\\p{L}*|vertail\\p{L}*)›',
  // sv
  '‹(?:pris|priser|priset|kostar|kostnad\\p{L}*|abonnemang\\p{L}*|licens\\p{L}*|rabatt\\p{L}*|integration\\p{L}*|kompatib\\p{L}*|install\\p{L}*|konfigur\\p{L}*|krav|garanti\\p{L}*|leverans\\p{L}*|frakt\\p{L}*|storlek\\p{L}*|skillnad\\p{L}*|jämför\\p{L}*)›',
  // de
  '‹(?:preis\\p{L}*|kostet|kosten|tarif\\p{L}*|abo|abonnement\\p{L}*|lizenz\\p{L}*|rabatt\\p{L}*|integration\\p{L}*|schnittstelle\\p{L}*|kompatib\\p{L}*|install\\p{L}*|einrichten|einrichtung|konfigur\\p{L}*|anforderungen|garantie|liefer\\p{L}*|versand\\p{L}*|größe\\p{L}*|abmessungen|unterschied\\p{L}*|vergleich\\p{L}*)›',
  // fr
  '‹(?:prix|tarif\\p{L}*|coût\\p{L}*|coûte|abonnement\\p{L}*|licence\\p{L}*|remise|intégration\\p{L}*|compatib\\p{L}*|install\\p{L}*|configur\\p{L}*|exigences|prérequis|garantie|livraison\\p{L}*|expédition|dimensions|taille|différence\\p{L}*|compar\\p{L}*)›',
  // es
  '‹(?:precio\\p{L}*|cuesta|cuestan|coste|costo|tarifa\\p{L}*|suscripci\\p{L}*|licencia\\p{L}*|descuento\\p{L}*|integraci\\p{L}*|compatib\\p{L}*|instal\\p{L}*|configur\\p{L}*|requisitos|garantía|envío\\p{L}*|entrega|tamaño|medidas|diferencia\\p{L}*|compar\\p{L}*)›',
);

const QUESTION_START = patterns(
  '^(?:what|how|why|when|where|which|who|can|could|does|do|is|are|will|should)›',
  '^(?:mikä|mitä|miten|miksi|milloin|missä|mistä|mihin|kuinka|voiko|voinko|onko|saako|kuka|paljonko)›',
  '^(?:vad|hur|varför|när|var|vilken|vilka|vem|kan|finns|går|är|ska)›',
  '^(?:was|wie|warum|wann|wo|welche[rsnm]?|wer|kann|können|gibt|ist|sind|muss)›',
  '^(?:que|quoi|comment|pourquoi|quand|où|quel|quelle|quels|quelles|qui|est-ce|peut-on|puis-je|combien)›',
  '^(?:¿)?(?:qué|cómo|por qué|cuándo|dónde|cuál|cuáles|quién|puedo|se puede|hay|es|cuánto|cuánta)›',
);

/** A real question with some substance: phrased as a question and at least five words long. */
function isSubstantiveQuestion(text: string): boolean {
  const words = text.match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length < 5) return false;
  return text.includes('?') || QUESTION_START.some((re) => re.test(text.trimStart()));
}
