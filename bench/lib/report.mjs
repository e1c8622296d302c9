// Figures, their targets, and the table they are printed in.

const MB = 1024 * 1024;

/**
 * One reported figure: the gateway's value, the baseline measured in the same run, their ratio and,
 * for latencies, their difference. `pass` is true or false against the target, null without one.
 */
export function figure({
  scenario,
  name,
  unit,
  value,
  baseline = null,
  baselineLabel,
  showAdded = false,
  target = '',
  pass = null,
}) {
  const measurable = Number.isFinite(value) && Number.isFinite(baseline);
  return {
    scenario,
    name,
    unit,
    value: Number.isFinite(value) ? value : null,
    baseline: Number.isFinite(baseline) ? baseline : null,
    ...(baselineLabel && { baselineLabel }),
    ratio: measurable && baseline !== 0 ? value / baseline : null,
    added: measurable && showAdded ? value - baseline : null,
    target,
    pass: Number.isFinite(value) ? pass : null,
  };
}

export const bytesToMb = (bytes) => bytes / MB;

function formatNumber(value, unit) {
  if (value === null || value === undefined) return 'n/a';
  switch (unit) {
    case 'req/s':
    case 'calls':
      return Math.round(value).toLocaleString('en-US');
    case 'MB':
      return value.toFixed(1);
    default: {
      const abs = Math.abs(value);
      return value.toFixed(abs < 10 ? 2 : abs < 100 ? 1 : 0);
    }
  }
}

const withUnit = (value, unit) => (value === null ? 'n/a' : `${formatNumber(value, unit)} ${unit}`);

function cells(row) {
  return [
    row.scenario,
    row.name,
    withUnit(row.value, row.unit),
    row.baselineLabel ?? withUnit(row.baseline, row.unit),
    row.ratio === null ? '' : `${row.ratio.toFixed(2)}x`,
    row.added === null ? '' : `${row.added >= 0 ? '+' : ''}${formatNumber(row.added, row.unit)} ${row.unit}`,
    row.target,
    row.void ? 'VOID' : row.pass === null ? (row.target ? 'n/a' : '') : row.pass ? 'PASS' : 'FAIL',
  ];
}

const HEADER = ['Scenario', 'Figure', 'Gateway', 'Baseline', 'Ratio', 'Added', 'Target', 'Result'];

/** A plain fixed-width table; the scenario is named on the first of its rows only. */
export function formatTable(rows) {
  const lines = rows.map(cells);
  for (let i = lines.length - 1; i > 0; i -= 1) {
    if (lines[i][0] === lines[i - 1][0]) lines[i][0] = '';
  }
  const widths = HEADER.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column].length)));
  const render = (line) =>
    line
      .map((cell, column) => (column >= 2 && column <= 5 ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  const out = [render(HEADER), widths.map((w) => '-'.repeat(w)).join('  ')];
  lines.forEach((line, index) => {
    if (index > 0 && line[0] !== '') out.push('');
    out.push(render(line));
  });
  return out.join('\n');
}
