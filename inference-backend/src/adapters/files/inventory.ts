import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { checkInput, inventorySchema, type Inventory } from '@nocai/contract';

/** Reads and validates inventory.yaml; the error names the file and the first problem. */
export async function loadInventoryFile(path: string): Promise<Inventory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read inventory ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new Error(`inventory ${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = checkInput(inventorySchema, raw, { subject: 'the inventory' });
  if (!parsed.success) throw new Error(`inventory ${path} is invalid: ${parsed.message}`);
  return parsed.data;
}
