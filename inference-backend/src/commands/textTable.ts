/** Rows of cells as aligned columns, two spaces apart, no trailing blanks (the first row is the header). */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => cell.padEnd(widths[c]))
          .join('  ')
          .trimEnd()
      )
      .join('\n') + '\n'
  );
}
