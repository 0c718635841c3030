import { checkInput, ticketHistoryRowSchema, type TicketHistoryRow } from '@nocai/contract';
import { printablePath, readInputText } from './csv';

/**
 * Reads a ticket history in JSON lines (history/tickets.jsonl of the simulator, or a user's
 * export with the same columns). A malformed row is an error naming its line, not a silent skip;
 * a missing, binary or oversized file is an `InputFileError`.
 */
export async function loadTicketHistory(path: string): Promise<TicketHistoryRow[]> {
  const text = await readInputText(path);
  const shown = printablePath(path);
  const rows: TicketHistoryRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new Error(`ticket history ${shown} line ${i + 1} is not JSON`);
    }
    const parsed = checkInput(ticketHistoryRowSchema, raw, { subject: 'the row' });
    if (!parsed.success) throw new Error(`ticket history ${shown} line ${i + 1}: ${parsed.message}`);
    rows.push(parsed.data);
  }
  return rows;
}

export function mttrSecondsOf(row: TicketHistoryRow): number {
  return Math.max(0, (Date.parse(row.resolved_at) - Date.parse(row.opened_at)) / 1000);
}
