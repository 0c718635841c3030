/**
 * Fixed limits of the simulated estate's sensors: the simple threshold alerts that stay Grafana's job
 * (issue 12 point 7; `provisioning/alerting/sensor-thresholds.yaml` pages on them, and
 * tests/grafana/alerting.test.ts checks that file against these numbers).
 *
 * PLC CPU module temperature, °C. In normal operation a PLC runs at its base (36–44 °C) plus the daily
 * (≤ 1.4 °C) and yearly (≤ 0.6 °C) swings and its load (≤ 7 °C at full activity): at most about 53 °C.
 * An overheating ramps 28–40 °C above that curve and halts the PLC at its peak, so every overheating
 * passes 58 °C before the halt, and no healthy PLC reaches it (`sensorLimits.test.ts` checks both on the
 * simulator's own readings).
 */
export const PLC_TEMPERATURE_LIMIT_C = 58;

/** How long the PLC's minute means must stay above the limit before the rule pages: one noisy minute is not enough. */
export const PLC_TEMPERATURE_FOR = '2m';
