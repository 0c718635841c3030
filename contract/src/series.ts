/**
 * InfluxDB series read and written by NOC AI. Names are snake_case because they are what
 * Grafana users type in InfluxQL; code converts to camelCase at the adapter boundary.
 * Ids and free text are fields, never tags, to keep tag cardinality bounded.
 */

/** Inputs, in the shapes Telegraf writes them (database `telegraf` by default). */
export const INPUT = {
  syslog: {
    measurement: 'syslog',
    tags: { hostname: 'hostname', appname: 'appname', severity: 'severity', facility: 'facility' },
    fields: { message: 'message', severityCode: 'severity_code', facilityCode: 'facility_code' },
  },
  /** Sensor readings: one measurement, one field per quantity, tagged by host. */
  sensors: {
    measurement: 'sensors',
    tags: { host: 'host', site: 'site', kind: 'kind' },
    fields: {
      temperatureC: 'temperature_c',
      vibrationMmS: 'vibration_mm_s',
      pressureKpa: 'pressure_kpa',
      powerW: 'power_w',
    },
  },
  /*
   * Host metrics carry the device's `site` beside `host`, as Telegraf writes them when each site's
   * agent sets it in `[global_tags]` (deploy/telegraf/telegraf.conf): what Device health's `$site`
   * narrows its hosts and host panels by.
   */
  cpu: {
    measurement: 'cpu',
    tags: { host: 'host', site: 'site', cpu: 'cpu' },
    fields: { usageUser: 'usage_user', usageSystem: 'usage_system', usageIdle: 'usage_idle' },
  },
  mem: {
    measurement: 'mem',
    tags: { host: 'host', site: 'site' },
    fields: { usedPercent: 'used_percent', available: 'available' },
  },
  disk: {
    measurement: 'disk',
    tags: { host: 'host', site: 'site', path: 'path' },
    fields: { usedPercent: 'used_percent', free: 'free' },
  },
  net: {
    measurement: 'net',
    tags: { host: 'host', site: 'site', interface: 'interface' },
    fields: { bytesRecv: 'bytes_recv', bytesSent: 'bytes_sent', errIn: 'err_in', errOut: 'err_out' },
  },
  system: { measurement: 'system', tags: { host: 'host', site: 'site' }, fields: { load1: 'load1', uptime: 'uptime' } },
} as const;

/** Outputs (database `aiops` by default). */
export const OUTPUT = {
  events: {
    measurement: 'aiops_events',
    /**
     * hostname/appname/facility/severity repeat the input line's series key so that one syslog
     * point maps to exactly one event point (same tags + same timestamp overwrite on replay).
     * Every other tag must be a pure function of the line for a given model version and
     * inventory; the decision is a field because later evidence (a recovery) may change it.
     */
    tags: {
      hostname: 'hostname',
      appname: 'appname',
      facility: 'facility',
      severity: 'severity',
      site: 'site',
      siteKind: 'site_kind',
      deviceKind: 'device_kind',
      eventClass: 'class',
    },
    fields: {
      decision: 'decision',
      templateId: 'template_id',
      template: 'template',
      message: 'message',
      confidence: 'confidence',
      modelVersion: 'model_version',
    },
  },
  tickets: { measurement: 'aiops_tickets' },
  anomalies: { measurement: 'aiops_anomalies' },
  forecasts: { measurement: 'aiops_forecasts' },
  silences: { measurement: 'aiops_silences' },
  maintenance: { measurement: 'aiops_maintenance' },
  problems: { measurement: 'aiops_problems' },
  feedback: { measurement: 'aiops_feedback' },
  models: { measurement: 'aiops_models' },
  drift: { measurement: 'aiops_drift' },
  audit: { measurement: 'aiops_audit' },
} as const;

export const DEFAULT_INPUT_DATABASE = 'telegraf';
export const DEFAULT_OUTPUT_DATABASE = 'aiops';

/**
 * aiops_tickets: one point per ticket state change, at the time of the change.
 * Tags are small closed sets; the ticket id and texts are fields.
 */
export const TICKET_SERIES = {
  measurement: 'aiops_tickets',
  tags: {
    status: 'status',
    priority: 'priority',
    department: 'department',
    eventClass: 'class',
    site: 'site',
    siteKind: 'site_kind',
    source: 'source',
    /** What this point changed: one of `TICKET_CHANGES` (`opened`, `status`, `assigned`…). */
    change: 'change',
  },
  fields: {
    ticketId: 'ticket_id',
    title: 'title',
    /** The whole text the routing read (complaints and Grafana alerts). */
    description: 'description',
    host: 'host',
    deviceKind: 'device_kind',
    confidence: 'confidence',
    needsReview: 'needs_review',
    mttrP50S: 'mttr_p50_s',
    mttrP90S: 'mttr_p90_s',
    rootCauseHost: 'root_cause_host',
    rootCause: 'root_cause',
    silentSinceMs: 'silent_since_ms',
    relatedAlerts: 'related_alerts',
    openedAtMs: 'opened_at_ms',
    resolvedAtMs: 'resolved_at_ms',
    /** JSON arrays (explanation, similar tickets, dependants): text fields Grafana can show. */
    explanation: 'explanation',
    similar: 'similar',
    dependants: 'dependants',
    modelVersion: 'model_version',
    feedbackVerdict: 'feedback_verdict',
    feedbackComment: 'feedback_comment',
    feedbackAtMs: 'feedback_at_ms',
    rootCauseDeviceKind: 'root_cause_device_kind',
    /** Integer: the ticket's version after this change (the API's ETag). */
    version: 'version',
    /** `user:<login>` or `team:<name>`, empty when unassigned. */
    assignee: 'assignee',
    /** Who made this change (a Grafana login, `nocai`, `grafana`) and what it did, in words. */
    changedBy: 'changed_by',
    changeSummary: 'change_summary',
    /** JSON arrays/objects: the newest comments, the models' routing once a person corrected it, the incident's hosts. */
    comments: 'comments',
    predicted: 'predicted',
    /** JSON array: the routing fields a person corrected (`Ticket.corrected`); absent in points written before it. */
    corrected: 'corrected',
    hosts: 'hosts',
    /** Boolean: resolved by the backend after quiet time (not a time to resolve). */
    autoResolved: 'auto_resolved',
    mttrNote: 'mttr_note',
    /** JSON array `[{feature, weight, value?}]`: the ticket's MTTR factors (Ticket.mttrFactors). */
    mttrFactors: 'mttr_factors',
    /** What would have avoided a predicted problem (issue 12), in words; empty for other tickets. */
    recommendation: 'recommendation',
    /** The predicted problem whose alert opened or last routed the ticket (issue 12); empty for other tickets. */
    problem: 'problem',
    /** The open incident ticket a complaint was linked to when it was filed (Ticket.parentId); empty for others. */
    parentId: 'parent_id',
  },
} as const;

/** aiops_feedback: one point per verdict an operator gives. */
export const FEEDBACK_SERIES = {
  measurement: 'aiops_feedback',
  tags: { verdict: 'verdict', department: 'department', eventClass: 'class', priority: 'priority' },
  fields: { ticketId: 'ticket_id', comment: 'comment', user: 'user' },
} as const;

/**
 * aiops_silences: a device that stopped reporting (and when it came back). The host is a tag
 * (bounded by the inventory) because several devices of a site often fall silent in the same
 * instant and must not overwrite each other.
 */
export const SILENCE_SERIES = {
  measurement: 'aiops_silences',
  tags: { site: 'site', host: 'host', deviceKind: 'device_kind', state: 'state' },
  fields: { silentSinceMs: 'silent_since_ms', cadenceS: 'cadence_s', rootCauseHost: 'root_cause_host' },
} as const;
