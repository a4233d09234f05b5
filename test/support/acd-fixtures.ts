// Builders for ACD domain objects in tests: a requirement without the expression compiler, a
// queue with the demo's defaults, an agent profile.
import type { AgentProfile, QueueConfig, Requirement } from '../../src/acd/domain/model';

/** "skill.<name> >= min". */
export function req(skill: string, min = 1): Requirement {
  return { source: `skill.${skill} >= ${min}`, skills: [skill], test: (a) => (a.skills[skill] ?? 0) >= min };
}

/** A queue requiring its own name as a skill; ring 15 s, wrap-up 5 s, no announcements, 3 strikes. */
export function queueConfig(id: string, over: Partial<QueueConfig> = {}): QueueConfig {
  return {
    id,
    name: id,
    steps: [{ afterS: 0, requirement: req(id, 1) }],
    strategy: 'longest-idle',
    ringTimeoutS: 15,
    wrapUpS: 5,
    serviceLevel: { thresholdS: 20, targetPct: 80 },
    musicClass: 'default',
    announcements: { position: false, estimatedWait: false, positionOnlyWhenImproved: true, firstAfterS: 15, everyS: 30 },
    maxMissedOffers: 3,
    ...over,
  };
}

export function agentProfile(id: string, skills: Record<string, number>, over: Partial<AgentProfile> = {}): AgentProfile {
  return { id, name: id, endpoint: `PJSIP/${id}`, skills, languages: ['en'], autoLogin: false, ...over };
}
