// The emulator's clock: the injected `now` (or Date.now) plus an offset the fault suite sets
// through POST /__emulator/clock, to play a server whose clock is wrong (skew of ±1 h).
export class SkewedClock {
  offsetMs = 0;
  constructor(private readonly base: () => number) {}
  readonly now = (): number => this.base() + this.offsetMs;
}
