// Badges for a conversation's phase and a lead's status.
import { useI18n } from '../i18n/index.ts';
import type { LeadStatus, Phase } from '../lib/types.ts';
import { Badge } from './basics.tsx';

const phaseTone = { exploring: 'neutral', learning: 'info', requesting_contact: 'warn' } as const;
const leadTone = { new: 'info', contacted: 'warn', closed: 'good' } as const;

/** The phase of a conversation or message. */
export function PhaseBadge({ phase }: { phase: Phase | null }) {
  const { t } = useI18n();
  if (!phase || !(phase in phaseTone)) return null;
  return <Badge tone={phaseTone[phase]}>{t(`phase.${phase}`)}</Badge>;
}

/** A lead's status. */
export function LeadBadge({ status }: { status: LeadStatus }) {
  const { t } = useI18n();
  return <Badge tone={leadTone[status] ?? 'neutral'}>{t(`lead.${status}`)}</Badge>;
}
