/**
 * Which periodic jobs this instance runs now, for /metrics (`vantage_leader`).
 * Whatever decides who runs a job (today each instance runs every job it
 * starts; a leader election decides it per job) says so here with `set`.
 */
export class LeaderRoles {
  private readonly jobs = new Map<string, boolean>();

  set(job: string, leading: boolean): void {
    this.jobs.set(job, leading);
  }

  /** Every job this instance knows of, and whether it leads it. */
  entries(): [string, boolean][] {
    return [...this.jobs];
  }
}
