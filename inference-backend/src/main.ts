import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Inventory } from '@nocai/contract';
import { loadInventoryFile } from './adapters/files/inventory';
import { loadTicketHistory } from './adapters/files/ticketHistory';
import { TicketsRepository } from './adapters/influx/ticketsRepository';
import { resolvedTicketOf, SimilarTicketIndex } from './domain/recommendations/similarTickets';
import { MedianMttrBaseline, RuleTextRouter, ruleLineClassifier } from './services/baselineModels';
import { LiveModels } from './services/onnxModels';
import type { ModelFailure } from './services/modelFallback';
import { TicketService } from './services/ticketService';
import { createApp } from './adapters/http/app';
import type { DeviceRouting } from './adapters/influx/routedDevices';
import { peerUrlOf } from './adapters/http/shardForwarding';
import { EventsRepository, eventTagsAt } from './adapters/influx/eventsRepository';
import { SeriesRepository } from './adapters/influx/seriesRepository';
import { HeartbeatSource } from './adapters/influx/heartbeatSource';
import { TriageStep } from './pipeline/triageStep';
import { InfluxClient } from './adapters/influx/client';
import { InfluxError, redactUrl, refusalCause } from './adapters/influx/errors';
import { DeadLetterFile } from './adapters/files/deadLetterFile';
import type { RetryPolicy } from './adapters/influx/client';
import { SyslogSource } from './adapters/influx/syslogSource';
import { DirectWriter, InfluxWriter } from './adapters/influx/writer';
import { trainingEvaluationPoints } from './services/trainingEvaluations';
import { setHeapGrowthPercent } from './adapters/heapPolicy';
import { createLogger, type Logger } from './adapters/logger';
import { Metrics } from './adapters/metrics/metrics';
import { FileStateStore } from './adapters/state/fileStateStore';
import { ShardHostFilter } from './adapters/influx/shardHosts';
import { ShardProgress } from './adapters/influx/shardProgress';
import { ShardMap } from './domain/sharding/shards';
import { ConfigError, secretsOf, type Config } from './config';
import { createHttpServer } from './adapters/http/server';
import { TemplateMiner, type TemplateMinerState } from './domain/logs/templateMiner';
import { systemClock, type Clock } from './domain/series';
import { LogStage } from './pipeline/logStage';
import { EvidenceQueue } from './pipeline/evidenceQueue';
import { MetricStage } from './pipeline/metricStage';
import { MetricSource } from './adapters/influx/metricSource';
import { AnomalyAlarmSource } from './adapters/influx/anomalyAlarmSource';
import { anomalyEvent } from './domain/timeseries/anomalyEvidence';
import { createSeriesDetector } from './domain/timeseries/seriesDetector';
import { Scheduler } from './pipeline/scheduler';
import { ChampionWatch } from './services/championWatch';
import { ForecastStage, withPastOpenings } from './pipeline/forecastStage';
import { TrendSource } from './adapters/influx/trendSource';
import { MaintenanceStage } from './pipeline/maintenanceStage';
import { DEFAULT_PROBLEM_STAGE_OPTIONS, ProblemStage } from './pipeline/problemStage';
import { RegistryProblemCatalog } from './services/problemServing';
import { ProblemAlarmSource } from './adapters/influx/problemAlarmSource';
import { problemEvent } from './domain/problems/evidence';
import { MaintenanceAlarmSource, SensorBucketSource } from './adapters/influx/maintenanceSource';
import { maintenanceEvent } from './domain/timeseries/maintenanceEvidence';
import { loadMaintenanceModel } from './services/maintenanceModel';
import { RetrainingJob } from './services/retraining';
import { RetrainStage } from './pipeline/retrainStage';
import { createRetrainingRouter } from './adapters/http/retrainingRoutes';
import { labelRows, readFeedback, resolvedRows } from './adapters/influx/feedbackLabels';
import { readTableFile } from './adapters/files/csv';
import { readLineLabels } from './adapters/influx/lineLabels';
import { readSensorHistory } from './adapters/influx/failureHistory';
import { failureLabelOptions } from './services/maintenanceRetraining';
import { FileAuditTrail } from './adapters/audit';
import { createAuditRouter } from './adapters/http/auditRoutes';
import { createModelsRouter } from './adapters/http/modelsRoutes';
import { createPredictRouter } from './adapters/http/predictRoutes';
import { createReportRouter } from './adapters/http/reportRoutes';
import { createTokensRouter } from './adapters/http/tokenRoutes';
import { createProblemsRouter } from './adapters/http/problemsRoutes';
import { callerOf, requireRole } from './adapters/http/auth';
import { ProblemStore } from './adapters/files/problemStore';
import { InfluxProblemSeries } from './adapters/influx/problemSeries';
import { ProblemService } from './services/problemService';
import { authOptionsOf, FileTokenStore } from './adapters/security';
import { reconcileRegistryAuditAtStart } from './adapters/registry/auditReconciliation';
import { readAliases } from './adapters/registry/modelRegistry';
import { RegistryProfiles } from './adapters/registry/profileStore';
import { InfluxDriftSource } from './adapters/influx/driftSource';
import { InfluxReportSource } from './adapters/report/influxReportSource';
import { ReportGenerator } from './adapters/report/reportGenerator';
import { ReportStore } from './adapters/report/reportStore';
import { AccuracyStage, DEFAULT_ACCURACY_STAGE_OPTIONS, type AccuracyRunInfo } from './pipeline/accuracyStage';
import { DEFAULT_DRIFT_STAGE_OPTIONS, DriftStage, type DriftRunInfo } from './pipeline/driftStage';
import { DEFAULT_REPORT_STAGE_OPTIONS, ReportStage } from './pipeline/reportStage';

/** The API answers within seconds: a short retry budget, then 503 with Retry-After. */
const API_RETRY: RetryPolicy = { maxRetries: 2, initialDelayMs: 100, maxDelayMs: 500, retryTimeouts: false };

export interface RunningService {
  port: number;
  url: string;
  logStage: LogStage<TemplateMinerState>;
  /**
   * Production accuracy (from the operators' verdicts) and input drift now, besides their hourly
   * runs: for a caller that has just given the backend what they judge (the demo, once its history
   * is triaged and its operators have judged the tickets). Undefined for a stage that does not run
   * here (no models folder, turned off, or another shard's job).
   */
  checkModels(): Promise<{ accuracy?: AccuracyRunInfo; drift?: DriftRunInfo }>;
  /** Finishes the batch in progress, flushes pending writes, closes the HTTP server. */
  stop(): Promise<void>;
}

/** A startup problem the operator can fix (unreachable or refusing InfluxDB, bad inventory). */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * What the service does when a champion fails on a request and its fallback answers (the median
 * time to resolve, the routing rules): a warning saying why, and one more on /metrics.
 */
export function modelFailureReporter(logger: Logger, metrics: Metrics): (failure: ModelFailure) => void {
  return ({ model, reason }) => {
    metrics.modelFailures.inc({ model });
    logger.warn(
      { model, err: reason },
      model === 'mttr'
        ? 'the MTTR model failed: the median of past tickets estimates the time to resolve'
        : 'the routing models failed: the rules route the ticket'
    );
  };
}

/**
 * What the service does when the MTTR model fails on a corrected ticket (the correction is saved with
 * the ticket's previous estimate): a warning saying why, and one more on /metrics.
 */
export function mttrFailureReporter(
  logger: Logger,
  metrics: Metrics
): (failure: { ticketId: string; reason: string }) => void {
  return ({ ticketId, reason }) => {
    metrics.modelFailures.inc({ model: 'mttr' });
    logger.warn(
      { ticket: ticketId, err: reason },
      'the MTTR model failed on a corrected ticket: the correction is saved with its previous time to resolve'
    );
  };
}

/** The composition root: builds every dependency from the config, starts the pipeline and the HTTP API. */
export async function startService(
  config: Config,
  overrides: { logger?: Logger; clock?: Clock; metrics?: Metrics } = {}
): Promise<RunningService> {
  const logger = overrides.logger ?? createLogger(config.logLevel, 'nocai', { secrets: secretsOf(config) });
  // NOCAI_HEAP_GROWTH_PERCENT: less RSS above the live heap for more CPU spent collecting (issue 13, soak).
  setHeapGrowthPercent(config.heapGrowthPercent);
  const clock = overrides.clock ?? systemClock;
  const metrics = overrides.metrics ?? new Metrics();
  const influxConnection = {
    url: config.influx.url,
    token: config.influx.token,
    username: config.influx.username,
    password: config.influx.password,
    timeoutMs: config.influx.timeoutMs,
    ca: config.influx.ca,
  };
  const influx = new InfluxClient(influxConnection);
  await checkInfluxAtStartup(influx, config);
  const estate = await loadInventory(config.inventoryPath);
  // Sharded replicas (NOCAI_SHARD_COUNT > 1): each processes its own sites with their devices and
  // dependency graph (`inventory` is that part), reads only their hosts, keeps its stages' state in
  // a folder of its own, and shard 0 also runs the estate-wide jobs. Every replica serves the whole API.
  const shard = new ShardMap(config.shard, estate);
  const inventory = shard.ownInventory();
  const hostFilter = new ShardHostFilter(influx, config.influx.inputDatabase, shard);
  const shardProgress = new ShardProgress(
    influx,
    config.influx.outputDatabase,
    config.shard,
    clock,
    config.pipeline.startLookbackMs
  );
  const stageStateDir = shard.isSharded
    ? join(config.stateDir, `shard-${config.shard.index}-of-${config.shard.count}`)
    : config.stateDir;
  const history = config.ticketHistoryPath ? await loadHistory(config.ticketHistoryPath) : [];
  const similar = new SimilarTicketIndex(history.map(resolvedTicketOf));

  // One writer per caller, so that one caller's failure never reaches another: the pipeline's
  // batches (refused points dead-lettered, failed batches replayed from the watermark) and the
  // API's records (each stored before it is acknowledged, with a short retry budget).
  const deadLetter = new DeadLetterFile(config.stateDir, {
    maxBytes: config.deadLetterMaxBytes,
    nowMs: () => clock.nowMs(),
  });
  const loggedCauses = new Set<string>();
  const pipelineWriter = (stage: string, measurement: string) =>
    new InfluxWriter(influx, {
      database: config.influx.outputDatabase,
      batchSize: config.pipeline.writeBatchSize,
      onFailure: 'drop',
      deadLetter,
      onWritten: (lines, seconds) => {
        metrics.influxWriteSeconds.observe(seconds);
        metrics.pointsWritten.inc({ stage, measurement }, lines);
      },
      onRejected: (rejected) => {
        for (const entry of rejected) {
          const cause = refusalCause(entry.reason);
          metrics.deadLetterPoints.inc({ measurement: entry.measurement, cause });
          const key = `${entry.measurement}|${entry.reason}`;
          if (loggedCauses.has(key)) continue;
          if (loggedCauses.size < 1000) loggedCauses.add(key);
          logger.error(
            { measurement: entry.measurement, cause, reason: entry.reason, deadLetter: deadLetter.path },
            'InfluxDB refused a point: written to the dead-letter file, the rest of the batch is stored'
          );
        }
      },
    });
  const writer = pipelineWriter('logs', 'aiops_events');
  const apiInflux = new InfluxClient(influxConnection, API_RETRY);
  const apiWriter = new DirectWriter(apiInflux, {
    database: config.influx.outputDatabase,
    onWritten: (_lines, seconds) => metrics.influxWriteSeconds.observe(seconds),
  });
  const ticketsRepository = new TicketsRepository(
    apiInflux,
    config.influx.outputDatabase,
    apiWriter,
    clock,
    config.shard,
    config.ticketRetentionMs
  );
  // Every change to tickets and models is recorded here (a hash chain on disk, mirrored to aiops_audit).
  const audit = FileAuditTrail.inStateDir(config.stateDir, {
    mirror: apiWriter,
    clock,
    onMirrorError: (err, pending) =>
      logger.warn({ err: String(err), pending }, 'aiops_audit mirror write failed; kept for the next try'),
  });
  await audit.start().catch((error: unknown) => {
    throw new StartupError(`the audit trail cannot be continued: ${(error as Error).message}`);
  });
  // Registry changes a crash cut off before their audit record are recorded before serving (issue 13).
  // Not on sharded replicas: each has a trail of its own beside the one shared registry.
  if (config.modelsDir && !shard.isSharded) {
    await reconcileRegistryAuditAtStart(config.modelsDir, audit, logger).catch((error: unknown) => {
      throw new StartupError(`the registry cannot be reconciled with the audit trail: ${(error as Error).message}`);
    });
  }
  const indexed = await ticketsRepository.load(clock.nowMs()).catch((error: unknown) => {
    throw new StartupError(`cannot read aiops_tickets to index the tickets: ${(error as Error).message}`);
  });
  logger.info({ points: indexed, tickets: ticketsRepository.size }, 'ticket index loaded');
  if (!config.modelsDir) {
    logger.warn(
      'no NOCAI_MODELS_DIR: lines and complaints are classified by rules and MTTR is the median baseline: ' +
        'run `nocai setup --dir DIR` (or `nocai train`) and set NOCAI_MODELS_DIR=DIR/models'
    );
  }
  if (!config.ticketHistoryPath) {
    logger.warn(
      'no NOCAI_TICKET_HISTORY: tickets get no similar past tickets and the MTTR baseline has no history: ' +
        'set NOCAI_TICKET_HISTORY to your resolved tickets (JSON lines, one ticket per line, ' +
        'see docs/model-lifecycle.md)'
    );
  }
  // The champions, swapped in place when a promotion or rollback moves an alias.
  const models = new LiveModels(
    config.modelsDir,
    { lines: ruleLineClassifier, router: new RuleTextRouter(), mttr: new MedianMttrBaseline(history) },
    logger,
    modelFailureReporter(logger, metrics)
  );
  await models.reload();
  // The champions' own held-out figures, so that Model health shows them before any retraining.
  const writeTrainingEvaluations = async (): Promise<void> => {
    if (!config.modelsDir || !shard.runsGlobalJobs) return;
    try {
      const points = await trainingEvaluationPoints(config.modelsDir, config.maintenance.stage.horizonHours);
      if (points.length > 0) await apiWriter.write(points);
    } catch (error) {
      logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        "the models' training figures were not written to aiops_models"
      );
    }
  };
  await writeTrainingEvaluations();
  const mttr = models.mttr;
  const triage = inventory
    ? new TriageStep({
        inventory,
        heartbeats: new HeartbeatSource(
          influx,
          config.influx.inputDatabase,
          config.heartbeatSeries,
          shard.isSharded ? inventory.devices.map((d) => d.host) : undefined
        ),
        tickets: ticketsRepository,
        mttr,
        similar: () => similar,
        eventTags: (hostname, timeUs) => eventTagsAt(influx, config.influx.outputDatabase, hostname, timeUs),
        engineOptions: {
          reviewThreshold: config.reviewThreshold,
          powerDepartmentBySiteKind: config.powerDepartmentBySiteKind,
        },
      })
    : undefined;
  if (!triage)
    logger.warn(
      'no NOCAI_INVENTORY: lines are classified, but incidents, tickets, silent devices and root cause need the inventory: ' +
        'set NOCAI_INVENTORY to an inventory.yaml of your sites and devices (nocai simulate writes an example)'
    );
  // The metric stage: anomaly scores of every configured Telegraf series (NOCAI_METRICS).
  const metricWriter = pipelineWriter('metrics', 'aiops_anomalies');
  const metricStage =
    config.metrics.specs.length > 0
      ? new MetricStage({
          source: new MetricSource(influx, config.influx.inputDatabase, config.metrics.specs, hostFilter),
          sink: metricWriter,
          store: new FileStateStore(stageStateDir),
          clock,
          detector: createSeriesDetector(),
          inventory,
          options: config.metrics.stage,
          hooks: {
            onBatch: (info) => {
              metrics.linesRead.inc({ stage: 'metrics' }, info.samples);
              metrics.batches.inc({ stage: 'metrics', outcome: 'ok' });
              metrics.batchSeconds.observe({ stage: 'metrics' }, info.seconds);
              metrics.seriesModelled.set(info.series);
              logger.debug(info, 'metric batch committed');
            },
            onSkipped: (reason, sample) => metrics.samplesSkipped.inc({ metric: sample.metric, reason }),
            onAlarms: (alarms) => evidence?.push(alarms.map(anomalyEvent)),
          },
        })
      : undefined;
  // The maintenance stage: each device's risk of failure, when the models folder holds the model.
  const maintenanceModel = config.modelsDir
    ? await loadMaintenanceModel(config.modelsDir, logger, config.maintenance.stage.horizonHours)
    : undefined;
  const maintenanceStage = maintenanceModel
    ? new MaintenanceStage({
        source: new SensorBucketSource(
          influx,
          config.influx.inputDatabase,
          maintenanceModel.model.manifest.features.numeric.map((n) => n.column),
          config.maintenance.stage.bucketMs
        ),
        model: maintenanceModel.model,
        sink: pipelineWriter('maintenance', 'aiops_maintenance'),
        store: new FileStateStore(stageStateDir),
        clock,
        inventory,
        options: { ...config.maintenance.stage, ...maintenanceModel.options },
        hooks: {
          onBatch: (info) => {
            metrics.batches.inc({ stage: 'maintenance', outcome: 'ok' });
            metrics.batchSeconds.observe({ stage: 'maintenance' }, info.seconds);
            logger.debug(info, 'maintenance batch committed');
          },
          onAlarms: (alarms) => evidence?.push(alarms.map(maintenanceEvent)),
        },
      })
    : undefined;
  // Predictive alert problems (issue 12): each champion problem model evaluated on its interval.
  const problemStore = new ProblemStore(config.problemsDir);
  const problemStage =
    config.modelsDir && shard.runsGlobalJobs
      ? new ProblemStage({
          catalog: new RegistryProblemCatalog(config.modelsDir, async () =>
            (await problemStore.list()).problems.map((p) => p.definition.name)
          ),
          source: new InfluxProblemSeries(influx, config.influx.inputDatabase, config.influx.outputDatabase),
          sink: pipelineWriter('problems', 'aiops_problems'),
          store: new FileStateStore(stageStateDir),
          clock,
          options: DEFAULT_PROBLEM_STAGE_OPTIONS,
          hooks: {
            onBatch: (info) => {
              metrics.batches.inc({ stage: 'problems', outcome: 'ok' });
              metrics.batchSeconds.observe({ stage: 'problems' }, info.seconds);
              logger.debug(info, 'problem batch committed');
            },
            onAlarms: (alarms) => evidence?.push(alarms.map(problemEvent)),
            onProblemError: (problem, err) =>
              logger.warn(
                { problem, err: err instanceof Error ? err.message : String(err) },
                'problem not evaluated this tick'
              ),
          },
        })
      : undefined;
  const problemAlarms = new ProblemAlarmSource(influx, config.influx.outputDatabase);
  // After a promotion or a rollback: the text models and the maintenance models serve the new
  // champions from their next request or batch, without a restart.
  const reloadServing = async (): Promise<void> => {
    await models.reload();
    await writeTrainingEvaluations();
    if (!maintenanceStage || !config.modelsDir) return;
    try {
      const loaded = await loadMaintenanceModel(config.modelsDir, logger, config.maintenance.stage.horizonHours);
      if (loaded) maintenanceStage.useModel(loaded.model);
    } catch (error) {
      logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'the maintenance model keeps its previous version'
      );
    }
  };
  // Anomaly episodes and failure predictions join the incident engine (no stage waits for another).
  const alarmSource = new AnomalyAlarmSource(influx, config.influx.outputDatabase);
  const maintenanceAlarms = new MaintenanceAlarmSource(influx, config.influx.outputDatabase);
  const evidence =
    metricStage || maintenanceStage || problemStage
      ? new EvidenceQueue(
          async (afterUs) =>
            [
              ...(metricStage ? (await alarmSource.read(afterUs, clock.nowMs() * 1000)).map(anomalyEvent) : []),
              ...(maintenanceStage
                ? (await maintenanceAlarms.read(afterUs, clock.nowMs() * 1000)).map(maintenanceEvent)
                : []),
              // Shard 0 evaluates the problems; every shard takes the alarms of its own hosts.
              ...(problemStage || (shard.isSharded && config.modelsDir)
                ? (await problemAlarms.read(afterUs, clock.nowMs() * 1000)).map(problemEvent)
                : []),
            ].filter((event) => shard.ownsHost(event.hostname)),
          // While a stage catches up on a backlog (beyond its normal lag), the log stage waits for it.
          () => {
            const nowUs = clock.nowMs() * 1000;
            const healthy = (stage: string) => scheduler.health().find((h) => h.stage === stage)?.ok !== false;
            const horizons: number[] = [];
            if (metricStage && healthy('metrics')) {
              const watermarkUs = metricStage.watermarkUs ?? 0;
              if (nowUs - watermarkUs > config.metrics.catchUpLagMs * 1000) horizons.push(watermarkUs);
            }
            if (maintenanceStage && healthy('maintenance')) {
              const { bucketMs, settleMs } = config.maintenance.stage;
              const untilUs = (maintenanceStage.evaluatedUntilMs ?? 0) * 1000;
              if (nowUs - untilUs > (config.metrics.catchUpLagMs + bucketMs + settleMs) * 1000) horizons.push(untilUs);
            }
            if (problemStage && healthy('problems')) {
              const untilMs = problemStage.catchingUpUntilMs(clock.nowMs(), config.metrics.catchUpLagMs);
              if (untilMs !== undefined) horizons.push(untilMs * 1000);
            }
            return horizons.length > 0 ? Math.min(...horizons) : undefined;
          }
        )
      : undefined;
  if (metricStage) {
    metrics.watchLag('metrics', () => {
      const watermarkUs = metricStage.watermarkUs;
      return watermarkUs === undefined ? undefined : Math.max(0, clock.nowMs() / 1000 - watermarkUs / 1e6);
    });
  }
  const logStage = new LogStage<TemplateMinerState>({
    triage,
    evidence,
    source: new SyslogSource(influx, config.influx.inputDatabase, hostFilter),
    sink: writer,
    store: new FileStateStore(stageStateDir),
    clock,
    classifier: models.lines,
    createMiner: (state) => (state ? TemplateMiner.fromJSON(state) : new TemplateMiner()),
    inventory,
    options: config.pipeline,
    hooks: {
      onBatch: (info) => {
        metrics.linesRead.inc({ stage: 'logs' }, info.lines);
        if (info.tickets) metrics.pointsWritten.inc({ stage: 'logs', measurement: 'aiops_tickets' }, info.tickets);
        metrics.batches.inc({ stage: 'logs', outcome: 'ok' });
        metrics.batchSeconds.observe({ stage: 'logs' }, info.seconds);
        logger.debug(info, 'log batch committed');
      },
    },
  });
  metrics.watchLag('logs', () => {
    const watermarkUs = logStage.watermarkUs;
    return watermarkUs === undefined ? undefined : Math.max(0, clock.nowMs() / 1000 - watermarkUs / 1e6);
  });
  // The forecast stage: ticket volume and time to threshold into aiops_forecasts, hourly and once
  // the log stage has caught up with a backfill (each run flushes its own writes).
  const forecastStage: ForecastStage | undefined =
    config.forecasts.stage.intervalMs > 0 && shard.runsGlobalJobs
      ? new ForecastStage({
          tickets: withPastOpenings(history, ticketsRepository),
          trends:
            config.forecasts.thresholds.length > 0
              ? new TrendSource(influx, config.influx.inputDatabase, config.forecasts.thresholds)
              : undefined,
          sink: pipelineWriter('forecasts', 'aiops_forecasts'),
          clock,
          holidays: config.forecasts.holidays,
          inventory: estate,
          ticketsCompleteUs: (): number | undefined => logStage.watermarkUs,
          options: config.forecasts.stage,
          hooks: {
            onRun: (info) => {
              metrics.batches.inc({ stage: 'forecasts', outcome: 'ok' });
              metrics.batchSeconds.observe({ stage: 'forecasts' }, info.seconds);
              logger.info(info, 'forecasts written');
            },
          },
        })
      : undefined;
  // The scheduled retraining of the ticket routers from operators' verdicts and corrections.
  const modelsDir = config.modelsDir;
  const retrainStage =
    modelsDir && shard.runsGlobalJobs
      ? new RetrainStage({
          clock,
          logger,
          options: {
            intervalMs: config.retraining.intervalMs > 0 ? config.retraining.intervalMs : Number.POSITIVE_INFINITY,
            stateFile: join(config.stateDir, 'retraining.json'),
          },
          job: new RetrainingJob({
            registryDir: modelsDir,
            maintenanceHorizonH: config.maintenance.stage.horizonHours,
            logger,
            nowMs: () => clock.nowMs(),
            options: config.retraining.gate,
            sources: {
              history: async () => (config.ticketHistoryPath ? readTableFile(config.ticketHistoryPath) : undefined),
              labels: async () => {
                const sinceMs = clock.nowMs() - config.retraining.labelDays * 86_400_000;
                const feedback = await readFeedback(apiInflux, config.influx.outputDatabase, sinceMs);
                return labelRows(ticketsRepository.all(), feedback, sinceMs).rows;
              },
              resolved: async () => {
                const sinceMs = clock.nowMs() - config.retraining.labelDays * 86_400_000;
                const feedback = await readFeedback(apiInflux, config.influx.outputDatabase, sinceMs);
                return resolvedRows(ticketsRepository.all(), feedback, sinceMs);
              },
              // The line models: their corpus plus the lines of the tickets operators judged.
              lineHistory: async () => (config.lineHistoryPath ? readTableFile(config.lineHistoryPath) : undefined),
              lineLabels: async () => {
                const sinceMs = clock.nowMs() - config.retraining.labelDays * 86_400_000;
                const feedback = await readFeedback(apiInflux, config.influx.outputDatabase, sinceMs);
                return readLineLabels(events, ticketsRepository.all(), feedback, sinceMs);
              },
              // The failure and remaining-life models: the PLCs' sensor history, failures read from its halts.
              sensorHistory: async () => {
                const toMs = clock.nowMs();
                const fromMs = toMs - config.retraining.labelDays * 86_400_000;
                const { fields, bucketMs } = failureLabelOptions(config.maintenance.stage.horizonHours);
                const series = await readSensorHistory(
                  influx,
                  config.influx.inputDatabase,
                  fields,
                  bucketMs,
                  fromMs,
                  toMs
                );
                return { series, fromMs, toMs };
              },
            },
            audit,
            writePoints: (points) => apiWriter.write(points),
            onPromoted: () => reloadServing(),
          }),
        })
      : undefined;
  // Production accuracy from operators' verdicts, input drift, and the weekly performance report.
  const accuracyWriter = pipelineWriter('accuracy', 'aiops_models');
  const driftWriter = pipelineWriter('drift', 'aiops_drift');
  const accuracyStage =
    modelsDir && config.accuracy.intervalMs > 0 && shard.runsGlobalJobs
      ? new AccuracyStage({
          tickets: ticketsRepository,
          readVerdicts: (sinceMs) => readFeedback(apiInflux, config.influx.outputDatabase, sinceMs),
          aliases: (model) => readAliases(modelsDir, model),
          sink: accuracyWriter,
          clock,
          options: { ...DEFAULT_ACCURACY_STAGE_OPTIONS, ...config.accuracy },
          hooks: {
            onRun: (info) => {
              metrics.batches.inc({ stage: 'accuracy', outcome: 'ok' });
              metrics.batchSeconds.observe({ stage: 'accuracy' }, info.seconds);
              logger.info(info, 'production accuracy written');
            },
          },
        })
      : undefined;
  const driftStage =
    modelsDir && config.drift.intervalMs > 0 && shard.runsGlobalJobs
      ? new DriftStage({
          models: new RegistryProfiles(modelsDir),
          source: new InfluxDriftSource(apiInflux, config.influx.outputDatabase),
          sink: driftWriter,
          clock,
          logger,
          options: {
            ...DEFAULT_DRIFT_STAGE_OPTIONS,
            intervalMs: config.drift.intervalMs,
            windowMs: config.drift.windowMs,
            minRows: config.drift.minRows,
          },
          hooks: {
            onDrift: (model, features) => {
              logger.warn(
                { model: model.name, version: model.version, features: features.map((f) => f.feature) },
                'input drift detected'
              );
              if (config.drift.retrain) retrainStage?.request({ kind: 'drift', actor: 'nocai' });
            },
          },
        })
      : undefined;
  const reportGenerator = new ReportGenerator({
    source: new InfluxReportSource(apiInflux, config.influx.outputDatabase),
    store: new ReportStore(join(config.stateDir, 'reports')),
    clock,
  });
  const reportStage =
    config.report.periodMs > 0 && shard.runsGlobalJobs
      ? new ReportStage({
          generator: reportGenerator,
          clock,
          options: { ...DEFAULT_REPORT_STAGE_OPTIONS, periodMs: config.report.periodMs },
          hooks: {
            onReport: (info) =>
              logger.info({ id: info.report.id, seconds: info.seconds }, 'performance report written'),
          },
        })
      : undefined;
  const championWatch = shard.isSharded && modelsDir ? new ChampionWatch(modelsDir, clock, reloadServing) : undefined;
  // What the other replicas stored since the last read, from the slowest shard's watermark (its tickets' times).
  const refreshTickets = async () => ticketsRepository.catchUp(await shardProgress.slowestUs());
  const scheduler = new Scheduler(
    [
      { name: 'logs', batchSize: config.pipeline.batchSize, tick: () => logStage.tick() },
      ...(metricStage ? [{ name: 'metrics', batchSize: 1, tick: () => metricStage.tick() }] : []),
      ...(maintenanceStage ? [{ name: 'maintenance', batchSize: 1, tick: () => maintenanceStage.tick() }] : []),
      ...(problemStage ? [{ name: 'problems', batchSize: 1, tick: () => problemStage.tick() }] : []),
      // Never back to back: a run is due by the clock or a request, not by a backlog.
      ...(forecastStage
        ? [{ name: 'forecasts', batchSize: Number.POSITIVE_INFINITY, tick: () => forecastStage.tick() }]
        : []),
      ...(retrainStage
        ? [{ name: 'retraining', batchSize: Number.POSITIVE_INFINITY, tick: () => retrainStage.tick() }]
        : []),
      ...(accuracyStage
        ? [{ name: 'accuracy', batchSize: Number.POSITIVE_INFINITY, tick: () => accuracyStage.tick() }]
        : []),
      ...(driftStage ? [{ name: 'drift', batchSize: Number.POSITIVE_INFINITY, tick: () => driftStage.tick() }] : []),
      ...(reportStage ? [{ name: 'report', batchSize: Number.POSITIVE_INFINITY, tick: () => reportStage.tick() }] : []),
      // A promotion made by another replica (shard 0 retrains; an admin may promote through any):
      // served here from the next batch too.
      ...(championWatch
        ? [{ name: 'champions', batchSize: Number.POSITIVE_INFINITY, tick: () => championWatch.tick() }]
        : []),
      // The tickets the other replicas opened or changed, so that this one lists and changes them too.
      ...(shard.isSharded
        ? [
            {
              name: 'tickets',
              batchSize: Number.POSITIVE_INFINITY,
              tick: async () => {
                await shardProgress.publish(logStage.watermarkUs);
                return refreshTickets();
              },
            },
          ]
        : []),
    ],
    {
      pollIntervalMs: config.pipeline.pollIntervalMs,
      maxBackoffMs: config.pipeline.maxBackoffMs,
      onError: (stage) => metrics.batches.inc({ stage, outcome: 'error' }),
    },
    logger
  );

  const events = new EventsRepository(apiInflux, config.influx.outputDatabase, config.powerDepartmentBySiteKind);
  // The department filters route as the engine does: power by site kind, the sites' kinds from the inventory.
  const routing: DeviceRouting = {
    powerDepartmentBySiteKind: config.powerDepartmentBySiteKind,
    sitesOfKind: (siteKind) => (estate?.sites ?? []).filter((site) => site.kind === siteKind).map((site) => site.id),
  };
  const tickets = new TicketService({
    audit,
    tickets: ticketsRepository,
    events,
    router: models.router,
    mttr,
    similar: () => similar,
    inventory: estate,
    clock,
    options: { reviewThreshold: config.reviewThreshold },
    powerDepartmentBySiteKind: config.powerDepartmentBySiteKind,
    onMttrFailure: mttrFailureReporter(logger, metrics),
    ...(shard.isSharded ? { refresh: refreshTickets } : {}),
  });
  // Per-client API tokens (nocai tokens, /api/tokens), read by the authentication at each request.
  const tokenStore = new FileTokenStore(config.tokensDir);
  const peerTemplate = config.shardPeerUrl;
  if (shard.isSharded && peerTemplate === undefined) {
    logger.warn(
      'NOCAI_SHARD_PEER_URL is not set: each replica changes any ticket itself, and two changes to one ticket ' +
        'through two replicas within one poll interval keep only the later'
    );
  }
  const app = createApp({
    routing,
    ...(shard.isSharded && peerTemplate !== undefined
      ? {
          ticketOwnership: {
            self: config.shard.index,
            // The pipeline owns a ticket's host (known hosts go with their site); a complaint without a host, its site.
            ownerOf: (ticket) => (ticket.host ? shard.shardOfHost(ticket.host) : shard.shardOfSite(ticket.site)),
            peerUrl: (i) => peerUrlOf(peerTemplate, i),
            find: (id) => ticketsRepository.findById(id),
            refresh: refreshTickets,
            timeoutMs: config.http.limits.requestTimeoutMs > 0 ? config.http.limits.requestTimeoutMs : 10_000,
          },
        }
      : {}),
    tickets,
    logger,
    metrics,
    clock,
    events,
    series: new SeriesRepository(apiInflux, config.influx.outputDatabase),
    checkInflux: () => influx.ping(),
    stageHealth: () => scheduler.health(),
    routers: [
      ...(retrainStage && modelsDir
        ? [
            {
              path: '/retraining',
              router: createRetrainingRouter({
                stage: retrainStage,
                registryDir: modelsDir,
                audit,
                maintenanceHorizonH: config.maintenance.stage.horizonHours,
              }),
            },
          ]
        : []),
      ...(modelsDir
        ? [
            {
              path: '/models',
              router: createModelsRouter({ registryDir: modelsDir, audit, onAliasChange: () => reloadServing() }),
            },
            { path: '/predict', router: createPredictRouter({ registryDir: modelsDir }) },
          ]
        : []),
      { path: '/audit', router: createAuditRouter({ trail: audit, clock }) },
      { path: '/reports', router: createReportRouter({ generator: reportGenerator, clock }) },
      { path: '/tokens', router: createTokensRouter({ store: tokenStore, audit }) },
      ...(modelsDir
        ? [
            {
              path: '/problems',
              router: createProblemsRouter({
                service: new ProblemService({
                  store: problemStore,
                  source: new InfluxProblemSeries(influx, config.influx.inputDatabase, config.influx.outputDatabase),
                  registryDir: modelsDir,
                  audit,
                }),
                callerOf: (_req, res) => {
                  const caller = callerOf(res);
                  return { actor: caller.name, role: caller.role };
                },
                canRead: requireRole('viewer'),
                canChange: requireRole('admin'),
              }),
            },
          ]
        : []),
    ],
    auth: authOptionsOf(config.http, tokenStore),
    limits: config.http.limits,
    https: config.http.transport.tls !== undefined,
  });
  const server = await listen(createHttpServer(app, config.http.transport), config.http.host, config.http.port);
  const port = (server.address() as AddressInfo).port;
  scheduler.start();
  logger.info(
    {
      port,
      influx: redactUrl(config.influx.url),
      input: config.influx.inputDatabase,
      output: config.influx.outputDatabase,
      shard: shard.isSharded ? `${config.shard.index} of ${config.shard.count}` : undefined,
    },
    'nocai backend serving'
  );

  let stopped: Promise<void> | undefined;
  return {
    port,
    url: `${config.http.transport.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    logStage,
    checkModels: async () => ({ accuracy: await accuracyStage?.runNow(), drift: await driftStage?.runNow() }),
    stop: () =>
      (stopped ??= (async () => {
        logger.info('stopping: finishing the batch in progress');
        await scheduler.stop();
        // The metric models are saved every few minutes; a clean stop saves what was scored since.
        await metricStage
          ?.checkpoint()
          .catch((error: unknown) => logger.error({ err: String(error) }, 'final metric state save failed'));
        for (const w of [writer, metricWriter, accuracyWriter, driftWriter]) {
          await w.flush().catch((error: unknown) => logger.error({ err: String(error) }, 'final flush failed'));
        }
        await audit
          .flushMirror()
          .catch((error: unknown) => logger.error({ err: String(error) }, 'final aiops_audit mirror failed'));
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        logger.info('stopped');
      })()),
  };
}

async function checkInfluxAtStartup(influx: InfluxClient, config: Config): Promise<void> {
  try {
    await influx.ping();
    await influx.createDatabase(config.influx.outputDatabase);
    // Telegraf creates its database on first write; creating it here lets the pipeline start first.
    await influx.createDatabase(config.influx.inputDatabase);
  } catch (error) {
    if (error instanceof InfluxError && (error.status === 401 || error.status === 403)) {
      const hint =
        config.influx.token || config.influx.username
          ? 'check them'
          : 'set INFLUX_TOKEN (2.x/3.x) or INFLUX_USERNAME and INFLUX_PASSWORD (1.x)';
      throw new StartupError(`InfluxDB at ${redactUrl(config.influx.url)} refused the credentials: ${hint}.`);
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new StartupError(`${reason.replace(/\.$/, '')}. Check INFLUX_URL.`);
  }
}

async function loadHistory(path: string) {
  try {
    return await loadTicketHistory(path);
  } catch (error) {
    throw new ConfigError(`NOCAI_TICKET_HISTORY: ${(error as Error).message}`);
  }
}

async function loadInventory(path: string | undefined): Promise<Inventory | undefined> {
  if (!path) return undefined;
  try {
    return await loadInventoryFile(path);
  } catch (error) {
    throw new ConfigError(`NOCAI_INVENTORY: ${(error as Error).message}`);
  }
}

function listen(server: Server, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new StartupError(`cannot listen on ${host}:${port}: ${error.code ?? error.message}`))
    );
  });
}
