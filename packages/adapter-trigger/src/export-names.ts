/**
 * The name a job's task gets in the object `toTriggerTasks` returns, so that it can be
 * destructured into an export: `email.send` → `emailSend`, `send-email` → `sendEmail`,
 * `daily_report` → `dailyReport`, `job:1` → `job1`.
 */
export function exportName(id: string): string {
  const words = id.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const camel = words
    .map((word, index) =>
      index === 0 ? word[0]!.toLowerCase() + word.slice(1) : word[0]!.toUpperCase() + word.slice(1),
    )
    .join("");
  return /^[0-9]/.test(camel) ? `_${camel}` : camel;
}
