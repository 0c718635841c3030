import { Option, type Command } from 'commander';

/**
 * Adds the InfluxDB credentials every command that talks to InfluxDB accepts, each also read
 * from the environment variable `nocai serve` uses, so a shell set up for the backend works for
 * the other commands too.
 */
export function withInfluxCredentials(command: Command): Command {
  return command
    .addOption(new Option('--token <token>', 'InfluxDB 2.x/3.x API token').env('INFLUX_TOKEN'))
    .addOption(new Option('--username <name>', 'InfluxDB 1.x user').env('INFLUX_USERNAME'))
    .addOption(
      new Option('--password <password>', 'InfluxDB 1.x password (prefer the environment variable)').env(
        'INFLUX_PASSWORD'
      )
    );
}
