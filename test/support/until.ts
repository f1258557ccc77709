// Waits for something a server or a socket will do soon: `pick` is asked every 10 ms until it
// gives a value, and a wait longer than `ms` fails with what was awaited (never a hung test).
export async function until<T>(what: string, pick: () => T | undefined, ms = 4000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = pick();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
