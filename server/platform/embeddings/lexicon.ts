/** The languages the local embedder can stem and knows stop words for (Snowball algorithm names). */
export const embedderLanguages = ['english', 'finnish', 'swedish', 'german', 'french', 'spanish'] as const;
/** One of `embedderLanguages`. */
export type EmbedderLanguage = (typeof embedderLanguages)[number];

// Short hand-written lists of the most frequent function words; they are down-weighted, not dropped,
// so "what is X" and "X" still differ slightly and a text made only of them still has a vector.
const stopLists: Record<EmbedderLanguage, string> = {
  english:
    'a an the and or but if then of to in on at by for with from as is are was were be been being it its this that these those ' +
    'i me my we our you your he she they them their what which who how why when where do does did can could will would should ' +
    'not no so there here about into any some all just also',
  finnish:
    'ja on ei se että oli ovat olla kun jos mutta tai kuin mitä mikä miten miksi missä minä sinä hän me te he tämä tuo ne niin ' +
    'myös vain nyt jo voi voin voit sekä joka jotka kanssa ole en et olen olet minun sinun meidän teidän hänen sen kaikki mukaan',
  swedish:
    'och i att det som en ett är på för med till av den de inte om har var jag du han hon vi ni man kan ska så men eller från ' +
    'vid här där hur vad när varför min mitt mina din ditt dina sin vår er denna detta dessa också bara alla',
  german:
    'der die das und oder aber ist sind war waren sein ein eine einen einem einer es ich du er sie wir ihr mit von zu im in an ' +
    'auf für nicht auch wie was wo wann warum dass den dem des bei aus nach kann können wird werden mein dein unser sich noch nur',
  french:
    'le la les un une des et ou mais est sont était être avoir a ai de du au aux en dans sur pour par avec ne pas plus ce cette ' +
    'ces je tu il elle nous vous ils elles que qui quoi comment pourquoi quand où mon ma mes votre vos son sa ses se y',
  spanish:
    'el la los las un una unos unas y o pero es son era ser estar está de del al en con por para sin no sí que quien como cómo ' +
    'qué cuando dónde yo tú él ella nosotros ellos mi mis tu tus su sus se lo le les me te más muy este esta esto',
};

/** The union of the stop-word lists of `languages`. */
export function stopWords(languages: readonly EmbedderLanguage[]): Set<string> {
  return new Set(languages.flatMap((l) => stopLists[l].split(' ')));
}

/** A concept and the words or phrases (space-separated) that name it, per language. */
export interface SynonymGroup {
  concept: string;
  terms: Partial<Record<EmbedderLanguage, string[]>>;
}

/**
 * Everyday help-centre vocabulary that visitors and pages word differently. Each group adds one
 * shared "concept" feature to every text that uses any of its terms, so "delete my account" and
 * "remove your profile" overlap. Terms match exactly or by their own language's stem ("deleted",
 * "passwords"). This is a short hand-written list, not a thesaurus: a word missing here gets
 * no synonym help at all. Some groups are intents rather than strict synonyms ("forgot" ~ "reset").
 */
export const synonymGroups: readonly SynonymGroup[] = [
  {
    concept: 'delete',
    terms: {
      english: ['delete', 'deletion', 'remove', 'removal', 'erase', 'get rid of'],
      finnish: ['poista', 'poistaa', 'poisto', 'poistaminen', 'poistetaan'],
      swedish: ['radera', 'ta bort'],
      german: ['löschen', 'entfernen'],
      french: ['supprimer', 'suppression', 'effacer'],
      spanish: ['eliminar', 'borrar'],
    },
  },
  {
    concept: 'sign-in',
    terms: {
      english: ['sign in', 'signin', 'log in', 'login', 'log on', 'logon'],
      finnish: ['kirjaudu', 'kirjautua', 'kirjautuminen', 'kirjaudu sisään'],
      swedish: ['logga in', 'inloggning'],
      german: ['einloggen', 'login'],
      french: ['se connecter', 'connexion'],
      spanish: ['iniciar sesión'],
    },
  },
  { concept: 'sign-out', terms: { english: ['sign out', 'signout', 'log out', 'logout', 'log off'], swedish: ['logga ut'], german: ['abmelden', 'ausloggen'] } },
  { concept: 'sign-up', terms: { english: ['sign up', 'signup', 'register', 'registration', 'create account'] } },
  {
    concept: 'buy',
    terms: {
      english: ['buy', 'purchase', 'order', 'checkout'],
      finnish: ['osta', 'ostaa', 'tilaa', 'tilata', 'tilaus'],
      swedish: ['köpa', 'köp', 'beställa', 'beställning'],
      german: ['kaufen', 'bestellen', 'bestellung'],
      french: ['acheter', 'commander', 'commande'],
      spanish: ['comprar', 'compra', 'pedido'],
    },
  },
  {
    concept: 'price',
    terms: {
      english: ['price', 'pricing', 'cost', 'fee', 'how much'],
      finnish: ['hinta', 'hinnat', 'hinnasto', 'hinnoittelu'],
      swedish: ['pris', 'priser', 'kostnad'],
      german: ['preis', 'preise', 'kosten'],
      french: ['prix', 'tarif', 'coût'],
      spanish: ['precio', 'costo', 'coste', 'tarifa'],
    },
  },
  {
    concept: 'refund',
    terms: {
      english: ['refund', 'money back', 'reimburse', 'reimbursement'],
      finnish: ['hyvitys', 'rahat takaisin'],
      swedish: ['återbetalning', 'pengarna tillbaka'],
      german: ['rückerstattung', 'erstattung'],
      french: ['remboursement', 'rembourser'],
      spanish: ['reembolso'],
    },
  },
  {
    concept: 'account',
    terms: {
      english: ['account', 'profile', 'user account'],
      finnish: ['tili', 'tilin', 'tilit', 'tiliä', 'tililtä', 'tilille', 'käyttäjätili', 'profiili'],
      swedish: ['konto', 'kontot', 'profil'],
      german: ['konto', 'profil', 'benutzerkonto'],
      french: ['compte', 'profil'],
      spanish: ['cuenta', 'perfil'],
    },
  },
  {
    concept: 'password',
    terms: {
      english: ['password', 'passcode', 'passphrase'],
      finnish: ['salasana', 'salasanan', 'salasanat'],
      swedish: ['lösenord', 'lösenordet'],
      german: ['passwort', 'kennwort'],
      french: ['mot de passe'],
      spanish: ['contraseña'],
    },
  },
  { concept: 'reset', terms: { english: ['reset', 'recover', 'recovery', 'forgot', 'forgotten'], finnish: ['palauta', 'palauttaa', 'unohdin'], german: ['zurücksetzen', 'vergessen'] } },
  {
    concept: 'cancel',
    terms: {
      english: ['cancel', 'cancellation', 'unsubscribe', 'terminate subscription', 'end subscription'],
      finnish: ['peruuta', 'peruuttaa', 'peruutus', 'irtisano', 'irtisanoa'],
      swedish: ['avbryta', 'avsluta', 'säga upp'],
      german: ['kündigen', 'kündigung', 'stornieren', 'abbestellen'],
      french: ['annuler', 'résilier', 'désabonner'],
      spanish: ['cancelar', 'darse de baja'],
    },
  },
  {
    concept: 'contact',
    terms: {
      english: ['contact', 'contact us', 'reach us', 'reach out', 'email us', 'get in touch'],
      finnish: ['ota yhteyttä', 'yhteystiedot'],
      swedish: ['kontakta', 'kontakt'],
      german: ['kontakt', 'kontaktieren'],
      french: ['contacter', 'contact'],
      spanish: ['contacto', 'contactar'],
    },
  },
  {
    concept: 'problem',
    terms: {
      english: ['error', 'problem', 'issue', 'bug', 'glitch', 'not working'],
      finnish: ['virhe', 'ongelma', 'vika'],
      swedish: ['fel', 'problem'],
      german: ['fehler', 'problem'],
      french: ['erreur', 'problème', 'bug'],
      spanish: ['error', 'problema', 'fallo'],
    },
  },
  {
    concept: 'install',
    terms: {
      english: ['install', 'installation', 'set up', 'setup'],
      finnish: ['asenna', 'asentaa', 'asennus'],
      swedish: ['installera', 'installation'],
      german: ['installieren', 'installation', 'einrichten'],
      french: ['installer', 'installation'],
      spanish: ['instalar', 'instalación'],
    },
  },
  { concept: 'change', terms: { english: ['change', 'update', 'edit', 'modify'], finnish: ['muuta', 'muuttaa', 'vaihda', 'vaihtaa'], german: ['ändern'], french: ['modifier', 'changer'], spanish: ['cambiar'] } },
  { concept: 'app', terms: { english: ['browser', 'app', 'mobile app', 'web browser'], finnish: ['selain', 'sovellus'], german: ['browser', 'app'] } },
  { concept: 'email', terms: { english: ['email', 'e mail', 'email address'], finnish: ['sähköposti'], swedish: ['e post', 'mejl'], german: ['e mail'] } },
  { concept: 'payment', terms: { english: ['payment', 'pay', 'billing', 'invoice', 'receipt'], finnish: ['maksu', 'lasku', 'kuitti'], swedish: ['betalning', 'faktura', 'kvitto'], german: ['zahlung', 'rechnung', 'quittung'] } },
  { concept: 'shipping', terms: { english: ['shipping', 'delivery', 'shipment'], finnish: ['toimitus'], swedish: ['leverans', 'frakt'], german: ['versand', 'lieferung'] } },
];
