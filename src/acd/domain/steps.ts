// Requirement steps: a waiting call's requirement relaxes with its wait in the current queue.
import type { QueueConfig, QueueEntry, QueueStep, Requirement } from './model';

export type CurrentStep = { index: number; requirement: Requirement } | { index: number; overflowTo: string };

export function currentStep(queue: QueueConfig, entry: QueueEntry, now: number): CurrentStep {
  const waitedS = (now - entry.queuedAt) / 1000;
  let index = 0;
  for (let i = 1; i < queue.steps.length; i++) if (queue.steps[i]!.afterS <= waitedS) index = i;
  const step: QueueStep = queue.steps[index]!;
  return 'overflowTo' in step ? { index, overflowTo: step.overflowTo } : { index, requirement: step.requirement };
}

/** When the call's step changes next (ms), or undefined when it is on its last step. */
export function nextStepAt(queue: QueueConfig, entry: QueueEntry, now: number): number | undefined {
  for (const step of queue.steps) {
    const at = entry.queuedAt + step.afterS * 1000;
    if (at > now) return at;
  }
  return undefined;
}
