import type { ManagedProcess } from '../../../scripts/toolkit/managed-process.js';

/** A component the tests may hang: a books process of the local system, for instance. */
interface Supervised {
  readonly process: ManagedProcess;
}

/** SIGSTOP: a hung process, whose connections the kernel still accepts and which never answers. */
export function pause(component: Supervised): void {
  component.process.signal('SIGSTOP');
}

/** SIGCONT: a paused process carries on. */
export function resume(component: Supervised): void {
  component.process.signal('SIGCONT');
}
