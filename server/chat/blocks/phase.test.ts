import { describe, expect, it } from 'vitest';
import type { Phase } from '../../../contracts/widget.ts';
import { nextPhase } from './phase.ts';

type Row = [lang: string, message: string, turnCount: number, phase: Phase, wantsContact: boolean, wantsSummary: boolean];

// One row per message, starting from `exploring`: the phase it leads to and what it asked for.
const rows: Row[] = [
  // en
  ['en', 'Hi!', 0, 'exploring', false, false],
  ['en', 'What is this site about?', 0, 'exploring', false, false],
  ['en', 'How do I update my contact details?', 0, 'exploring', false, false],
  ['en', 'How do I change my email address?', 0, 'exploring', false, false],
  ['en', 'Is the export human-readable?', 0, 'exploring', false, false],
  ['en', 'How much does the Pro plan cost?', 0, 'learning', false, false],
  ['en', 'Does it integrate with Shopify?', 0, 'learning', false, false],
  ['en', 'How long does it take before my data is removed?', 2, 'learning', false, false],
  ['en', 'How long does it take before my data is removed?', 0, 'exploring', false, false],
  ['en', 'Can I talk to a human?', 0, 'requesting_contact', true, false],
  ['en', 'Please have someone call me back tomorrow', 0, 'requesting_contact', true, false],
  ['en', 'I would like to get a quote for 50 seats', 0, 'requesting_contact', true, false],
  ['en', 'Can I book a demo?', 0, 'requesting_contact', true, false],
  ['en', 'Email me the details', 0, 'requesting_contact', true, false],
  ['en', 'You can reach me at anna@example.com', 0, 'requesting_contact', true, false],
  ['en', 'Can you send me a summary of this chat?', 0, 'requesting_contact', false, true],
  // fi
  ['fi', 'Moi', 0, 'exploring', false, false],
  ['fi', 'Mikä tämä palvelu on?', 0, 'exploring', false, false],
  ['fi', 'Onko teillä tarjouksia tällä viikolla?', 0, 'exploring', false, false],
  ['fi', 'Paljonko Pro-paketti maksaa?', 0, 'learning', false, false],
  ['fi', 'Toimiiko se yhteensopivasti Shopifyn kanssa?', 0, 'learning', false, false],
  ['fi', 'Kuinka kauan tietojeni poistaminen kestää?', 2, 'learning', false, false],
  ['fi', 'Haluaisin puhua ihmisen kanssa', 0, 'requesting_contact', true, false],
  ['fi', 'Voitteko soittaa minulle huomenna?', 0, 'requesting_contact', true, false],
  ['fi', 'Ottakaa yhteyttä, kiitos', 0, 'requesting_contact', true, false],
  ['fi', 'Haluaisin tarjouksen 50 käyttäjälle', 0, 'requesting_contact', true, false],
  ['fi', 'Voinko varata demon?', 0, 'requesting_contact', true, false],
  ['fi', 'Lähettäkää yhteenveto sähköpostiini', 0, 'requesting_contact', false, true],
  // sv
  ['sv', 'Hej', 0, 'exploring', false, false],
  ['sv', 'Vad gör ni?', 0, 'exploring', false, false],
  ['sv', 'Vad kostar Pro-abonnemanget?', 0, 'learning', false, false],
  ['sv', 'Hur lång är leveranstiden till Sverige?', 0, 'learning', false, false],
  ['sv', 'Hur lång tid tar det innan mina uppgifter tas bort?', 2, 'learning', false, false],
  ['sv', 'Kan jag prata med en människa?', 0, 'requesting_contact', true, false],
  ['sv', 'Ring mig gärna i morgon', 0, 'requesting_contact', true, false],
  ['sv', 'Jag vill ha en offert', 0, 'requesting_contact', true, false],
  ['sv', 'Kan ni skicka en sammanfattning?', 0, 'requesting_contact', false, true],
  // de
  ['de', 'Hallo', 0, 'exploring', false, false],
  ['de', 'Was bieten Sie an?', 0, 'exploring', false, false],
  ['de', 'Ist das für Menschen mit Behinderung geeignet?', 0, 'exploring', false, false],
  ['de', 'Was kostet der Pro-Tarif?', 0, 'learning', false, false],
  ['de', 'Wie lange dauert die Lieferung nach Österreich?', 0, 'learning', false, false],
  ['de', 'Wie lange dauert es, bis meine Daten gelöscht sind?', 2, 'learning', false, false],
  ['de', 'Kann ich mit einem Menschen sprechen?', 0, 'requesting_contact', true, false],
  ['de', 'Bitte rufen Sie mich zurück', 0, 'requesting_contact', true, false],
  ['de', 'Ich hätte gerne ein Angebot für 50 Nutzer', 0, 'requesting_contact', true, false],
  ['de', 'Gibt es eine Demo?', 0, 'requesting_contact', true, false],
  ['de', 'Schicken Sie mir eine Zusammenfassung', 0, 'requesting_contact', false, true],
  // fr
  ['fr', 'Bonjour', 0, 'exploring', false, false],
  ['fr', 'Que faites-vous ?', 0, 'exploring', false, false],
  ['fr', 'Quel est le prix de la formule Pro ?', 0, 'learning', false, false],
  ['fr', 'Est-ce compatible avec Shopify ?', 0, 'learning', false, false],
  ['fr', 'Combien de temps faut-il pour supprimer mes données ?', 2, 'learning', false, false],
  ['fr', 'Je voudrais parler à un conseiller', 0, 'requesting_contact', true, false],
  ['fr', 'Pouvez-vous me rappeler demain ?', 0, 'requesting_contact', true, false],
  ['fr', "J'aimerais un devis", 0, 'requesting_contact', true, false],
  ['fr', 'Envoyez-moi un résumé de la conversation', 0, 'requesting_contact', false, true],
  // es
  ['es', 'Hola', 0, 'exploring', false, false],
  ['es', '¿Qué hacéis?', 0, 'exploring', false, false],
  ['es', '¿Cuánto cuesta el plan Pro?', 0, 'learning', false, false],
  ['es', '¿Cuánto tarda el envío a Madrid?', 0, 'learning', false, false],
  ['es', '¿Cuánto tiempo tardan en borrar mis datos personales?', 2, 'learning', false, false],
  ['es', 'Quiero hablar con una persona', 0, 'requesting_contact', true, false],
  ['es', '¿Pueden llamarme mañana?', 0, 'requesting_contact', true, false],
  ['es', 'Necesito un presupuesto', 0, 'requesting_contact', true, false],
  ['es', '¿Me podéis enviar un resumen?', 0, 'requesting_contact', false, true],
];

describe('nextPhase', () => {
  it.each(rows)('[%s] "%s" (turn %i) → %s', (_lang, message, turnCount, phase, wantsContact, wantsSummary) => {
    expect(nextPhase('exploring', message, turnCount)).toEqual({ phase, wantsContact, wantsSummary });
  });

  it('only moves forward', () => {
    expect(nextPhase('learning', 'Hi again', 4).phase).toBe('learning');
    expect(nextPhase('requesting_contact', 'How much does the Pro plan cost?', 4).phase).toBe('requesting_contact');
    expect(nextPhase('requesting_contact', 'thanks', 6).phase).toBe('requesting_contact');
    expect(nextPhase('learning', 'Can I talk to a human?', 4)).toEqual({ phase: 'requesting_contact', wantsContact: true, wantsSummary: false });
  });

  it('reports what this message asked for even when the phase is already there', () => {
    expect(nextPhase('requesting_contact', 'Please call me back', 6)).toEqual({ phase: 'requesting_contact', wantsContact: true, wantsSummary: false });
    expect(nextPhase('requesting_contact', 'ok', 6)).toEqual({ phase: 'requesting_contact', wantsContact: false, wantsSummary: false });
  });
});
