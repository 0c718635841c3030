import React, { type ChangeEvent, useId } from 'react';
import type { QueryEditorProps } from '@grafana/data';
import { Combobox, type ComboboxOption, InlineField, InlineSwitch, Input, RadioButtonGroup, Stack } from '@grafana/ui';
import { SERIES_BY_KIND, isSeriesKind, seriesTagNames } from '@nocai/contract/dist/outputSeries';

import type { NocaiDataSource } from '../datasource';
import { migrateQuery } from '../migrate';
import { testIds } from '../testIds';
import {
  DEFAULT_EVENTS_LIMIT,
  DEFAULT_SERIES_LIMIT,
  DEFAULT_TICKETS_LIMIT,
  type EventsQuery,
  isEventsQuery,
  isProblemsQuery,
  isSeriesQuery,
  isTicketsQuery,
  MAX_SERIES_LIMIT,
  MAX_TICKETS_LIMIT,
  type NocaiOptions,
  type NocaiQuery,
  type NocaiQueryType,
  PROBLEM_VIEWS,
  type ProblemsQuery,
  type ProblemView,
  QUERY_TYPES,
  type SeriesQuery,
  type TicketsQuery,
} from '../types';
import { DECISIONS, DEPARTMENTS, EVENT_CLASSES, PRIORITIES, TICKET_STATUSES } from '../vocabulary';

type Props = QueryEditorProps<NocaiDataSource, NocaiQuery, NocaiOptions>;

const LABEL_WIDTH = 12;

const QUERY_TYPE_OPTIONS: Array<ComboboxOption<NocaiQueryType>> = QUERY_TYPES.map((value) => ({
  value,
  label: capitalize(value),
  // The measurement a series kind reads is the name users already know from InfluxDB panels and alert rules.
  description: isSeriesKind(value) ? SERIES_BY_KIND[value].measurement : undefined,
}));

const toOptions = (values: readonly string[]): Array<ComboboxOption<string>> =>
  values.map((value) => ({ value, label: value }));
const EVENT_CLASS_OPTIONS = toOptions(EVENT_CLASSES);
const DECISION_OPTIONS = toOptions(DECISIONS);
const STATUS_OPTIONS = toOptions(TICKET_STATUSES);
const DEPARTMENT_OPTIONS = toOptions(DEPARTMENTS);
const PRIORITY_OPTIONS = toOptions(PRIORITIES);

export function QueryEditor({ query: savedQuery, onChange, onRunQuery, datasource }: Props) {
  const query = migrateQuery(savedQuery);
  // Several query rows share the editor: ids must be unique per row for labels to point at their input.
  const id = useId();
  const change = (next: NocaiQuery, run: boolean) => {
    onChange(next);
    if (run) {
      onRunQuery();
    }
  };

  // Combobox (12.4) can report `undefined` when Enter is pressed after typing a filter that hides the
  // option highlighted by default; keep the current type then.
  const onQueryTypeChange = (option: ComboboxOption<NocaiQueryType> | undefined) => {
    if (option && option.value !== query.queryType) {
      change(withQueryType(query, option.value), true);
    }
  };

  return (
    <Stack direction="column" gap={1}>
      <InlineField label="Query type" labelWidth={LABEL_WIDTH} htmlFor={`${id}-query-type`}>
        <Combobox
          id={`${id}-query-type`}
          data-testid={testIds.queryEditor.queryType}
          options={QUERY_TYPE_OPTIONS}
          value={query.queryType}
          onChange={onQueryTypeChange}
          width={24}
        />
      </InlineField>
      {isEventsQuery(query) && <EventFilters id={id} query={query} onChange={change} />}
      {isTicketsQuery(query) && <TicketFilters id={id} query={query} onChange={change} />}
      {isSeriesQuery(query) && <SeriesFilters id={id} query={query} onChange={change} />}
      {isProblemsQuery(query) && (
        <ProblemFilters id={id} query={query} onChange={change} problemOptions={() => datasource.problemOptions()} />
      )}
    </Stack>
  );
}

interface FiltersProps<Q extends NocaiQuery> {
  id: string;
  query: Q;
  onChange: (query: Q, run: boolean) => void;
}

/** Combobox change handler for an optional string filter of `query`. */
function optionChange<Q extends NocaiQuery>(
  query: Q,
  key: keyof Q & string,
  onChange: (query: Q, run: boolean) => void
) {
  // `null` is the clear button; `undefined` is the Combobox quirk described in QueryEditor.
  return (option: ComboboxOption<string> | null | undefined) => {
    if (option !== undefined) {
      onChange({ ...query, [key]: option?.value || undefined }, true);
    }
  };
}

function limitChange<Q extends NocaiQuery>(query: Q, onChange: (query: Q, run: boolean) => void) {
  return (event: ChangeEvent<HTMLInputElement>) => {
    const limit = Number.parseInt(event.target.value, 10);
    onChange({ ...query, limit: Number.isFinite(limit) && limit > 0 ? limit : undefined }, false);
  };
}

interface LimitFieldProps<Q extends NocaiQuery> extends FiltersProps<Q> {
  tooltip: string;
  /** The backend's largest limit for this query type; none for events. */
  max?: number;
  /** What the backend uses when the query sets none (shown as the placeholder). */
  defaultLimit: number;
}

/** The limit of every query type: a number input that runs the query when it loses focus. */
function LimitField<Q extends NocaiQuery & { limit?: number }>({
  id,
  query,
  onChange,
  tooltip,
  max,
  defaultLimit,
}: LimitFieldProps<Q>) {
  return (
    <InlineField label="Limit" labelWidth={LABEL_WIDTH} htmlFor={`${id}-limit`} tooltip={tooltip}>
      <Input
        id={`${id}-limit`}
        data-testid={testIds.queryEditor.limit}
        type="number"
        min={1}
        max={max}
        value={query.limit ?? ''}
        onChange={limitChange(query, onChange)}
        onBlur={() => onChange(query, true)}
        placeholder={String(defaultLimit)}
        width={12}
      />
    </InlineField>
  );
}

interface PlaceFieldProps<Q extends NocaiQuery> extends FiltersProps<Q> {
  field: 'host' | 'site';
}

const PLACE_LABELS = { host: 'Host', site: 'Site' } as const;

/**
 * A host or site filter: free text, because hosts and sites are open sets, and `$host` or `$site` works (the
 * data source interpolates it). It updates the query while typing and runs it when it loses focus.
 */
function PlaceField<Q extends NocaiQuery & { host?: string; site?: string }>({
  id,
  query,
  onChange,
  field,
}: PlaceFieldProps<Q>) {
  return (
    <InlineField label={PLACE_LABELS[field]} labelWidth={LABEL_WIDTH} htmlFor={`${id}-${field}`}>
      <Input
        id={`${id}-${field}`}
        data-testid={testIds.queryEditor[field]}
        value={query[field] ?? ''}
        onChange={(event: ChangeEvent<HTMLInputElement>) =>
          onChange({ ...query, [field]: event.target.value || undefined }, false)
        }
        onBlur={() => onChange(query, true)}
        placeholder={`Any ${field}, or $${field}`}
        width={24}
      />
    </InlineField>
  );
}

/**
 * The department filter of tickets and events: the contract's departments, a custom value or `$department`. An
 * event's department is the one the routing sends its class to, since events carry none of their own.
 */
function DepartmentField<Q extends NocaiQuery & { department?: string }>({ id, query, onChange }: FiltersProps<Q>) {
  return (
    <InlineField label="Department" labelWidth={LABEL_WIDTH} htmlFor={`${id}-department`}>
      <Combobox
        id={`${id}-department`}
        data-testid={testIds.queryEditor.department}
        options={DEPARTMENT_OPTIONS}
        value={query.department ?? null}
        onChange={optionChange(query, 'department', onChange)}
        placeholder="Any department"
        isClearable
        createCustomValue
        width={22}
      />
    </InlineField>
  );
}

/** Filters may be template variables such as `$host`; the data source interpolates them. */
function EventFilters({ id, query, onChange }: FiltersProps<EventsQuery>) {
  return (
    <Stack gap={1} wrap="wrap">
      <InlineField label="Class" labelWidth={LABEL_WIDTH} htmlFor={`${id}-event-class`}>
        <Combobox
          id={`${id}-event-class`}
          data-testid={testIds.queryEditor.eventClass}
          options={EVENT_CLASS_OPTIONS}
          value={query.eventClass ?? null}
          onChange={optionChange(query, 'eventClass', onChange)}
          placeholder="Any class"
          isClearable
          createCustomValue
          width={22}
        />
      </InlineField>
      <PlaceField id={id} query={query} onChange={onChange} field="host" />
      <PlaceField id={id} query={query} onChange={onChange} field="site" />
      <DepartmentField id={id} query={query} onChange={onChange} />
      <InlineField label="Decision" labelWidth={LABEL_WIDTH} htmlFor={`${id}-decision`}>
        <Combobox
          id={`${id}-decision`}
          data-testid={testIds.queryEditor.decision}
          options={DECISION_OPTIONS}
          value={query.decision ?? null}
          onChange={optionChange(query, 'decision', onChange)}
          placeholder="Any decision"
          isClearable
          createCustomValue
          width={22}
        />
      </InlineField>
      <LimitField
        id={id}
        query={query}
        onChange={onChange}
        tooltip="Maximum number of events returned"
        defaultLimit={DEFAULT_EVENTS_LIMIT}
      />
    </Stack>
  );
}

/** Same conventions as EventFilters: suggestions from the contract, custom values and `$variables` allowed. */
function TicketFilters({ id, query, onChange }: FiltersProps<TicketsQuery>) {
  return (
    <Stack gap={1} wrap="wrap">
      <InlineField label="Status" labelWidth={LABEL_WIDTH} htmlFor={`${id}-status`}>
        <Combobox
          id={`${id}-status`}
          data-testid={testIds.queryEditor.status}
          options={STATUS_OPTIONS}
          value={query.status ?? null}
          onChange={optionChange(query, 'status', onChange)}
          placeholder="Any status"
          isClearable
          createCustomValue
          width={22}
        />
      </InlineField>
      <PlaceField id={id} query={query} onChange={onChange} field="site" />
      <PlaceField id={id} query={query} onChange={onChange} field="host" />
      <DepartmentField id={id} query={query} onChange={onChange} />
      <InlineField label="Priority" labelWidth={LABEL_WIDTH} htmlFor={`${id}-priority`}>
        <Combobox
          id={`${id}-priority`}
          data-testid={testIds.queryEditor.priority}
          options={PRIORITY_OPTIONS}
          value={query.priority ?? null}
          onChange={optionChange(query, 'priority', onChange)}
          placeholder="Any priority"
          isClearable
          createCustomValue
          width={16}
        />
      </InlineField>
      <InlineField
        label="Parent status"
        labelWidth={LABEL_WIDTH}
        htmlFor={`${id}-parent-status`}
        tooltip="Complaints whose linked ticket (their incident) is in this status, e.g. resolved,closed: with an active status, those still waiting for their reporter's confirmation"
      >
        <Combobox
          id={`${id}-parent-status`}
          data-testid={testIds.queryEditor.parentStatus}
          options={STATUS_OPTIONS}
          value={query.parentStatus ?? null}
          onChange={optionChange(query, 'parentStatus', onChange)}
          placeholder="Any parent"
          isClearable
          createCustomValue
          width={22}
        />
      </InlineField>
      <InlineField
        label="Count"
        labelWidth={LABEL_WIDTH}
        htmlFor={`${id}-count`}
        tooltip="One number: how many tickets match, however many there are (for a stat panel)"
      >
        <InlineSwitch
          id={`${id}-count`}
          data-testid={testIds.queryEditor.count}
          value={query.count ?? false}
          onChange={(event) => onChange({ ...query, count: event.currentTarget.checked || undefined }, true)}
        />
      </InlineField>
      {/* A count reads the backend's total, which no limit caps. */}
      {!query.count && (
        <LimitField
          id={id}
          query={query}
          onChange={onChange}
          tooltip={`Maximum number of tickets returned (at most ${MAX_TICKETS_LIMIT})`}
          max={MAX_TICKETS_LIMIT}
          defaultLimit={DEFAULT_TICKETS_LIMIT}
        />
      )}
    </Stack>
  );
}

/**
 * One text input per tag of the series kind (contract `SERIES_BY_KIND`), labelled with the InfluxDB tag name
 * the backend filters on. Free text because tag values (hosts, model versions) are open sets; `$variables`
 * are allowed.
 */
function SeriesFilters({ id, query, onChange }: FiltersProps<SeriesQuery>) {
  const onFilterChange = (tag: string) => (event: ChangeEvent<HTMLInputElement>) =>
    onChange({ ...query, filters: withFilter(query.filters, tag, event.target.value) }, false);
  const runOnBlur = () => onChange(query, true);

  return (
    <Stack gap={1} wrap="wrap">
      {seriesTagNames(query.queryType).map((tag) => (
        <InlineField key={tag} label={tag} labelWidth={LABEL_WIDTH} htmlFor={`${id}-filter-${tag}`}>
          <Input
            id={`${id}-filter-${tag}`}
            data-testid={testIds.queryEditor.seriesFilter(tag)}
            value={query.filters?.[tag] ?? ''}
            onChange={onFilterChange(tag)}
            onBlur={runOnBlur}
            placeholder="any"
            width={24}
          />
        </InlineField>
      ))}
      <LimitField
        id={id}
        query={query}
        onChange={onChange}
        tooltip={`Maximum number of points returned, newest first (at most ${MAX_SERIES_LIMIT})`}
        max={MAX_SERIES_LIMIT}
        defaultLimit={DEFAULT_SERIES_LIMIT}
      />
    </Stack>
  );
}

const PROBLEM_VIEW_OPTIONS: Array<{ value: ProblemView; label: string; description: string }> = PROBLEM_VIEWS.map(
  (value) => ({
    value,
    label: capitalize(value),
    description:
      value === 'probability'
        ? 'Probability per entity, with the alert threshold'
        : 'Tickets the alerts opened, with their verdicts',
  })
);

interface ProblemFiltersProps extends FiltersProps<ProblemsQuery> {
  /** The problems defined on the backend; the choice also takes a name typed by hand or a `$variable`. */
  problemOptions: () => Promise<Array<{ value: string; description: string }>>;
}

/** The problem (from `GET /api/problems`), an optional entity, and whether to show probability or alerts. */
function ProblemFilters({ id, query, onChange, problemOptions }: ProblemFiltersProps) {
  const onEntityChange = (event: ChangeEvent<HTMLInputElement>) =>
    onChange({ ...query, entity: event.target.value || undefined }, false);
  const runOnBlur = () => onChange(query, true);
  // Asked when the list opens, filtered by what is typed; a backend that cannot answer leaves typing possible.
  const loadProblems = async (input: string): Promise<Array<ComboboxOption<string>>> => {
    const typed = input.trim().toLowerCase();
    try {
      const options = await problemOptions();
      return options
        .filter((option) => option.value.includes(typed))
        .map((option) => ({ ...option, label: option.value, description: option.description || undefined }));
    } catch {
      return [];
    }
  };

  return (
    <Stack gap={1} wrap="wrap">
      <InlineField label="Problem" labelWidth={LABEL_WIDTH} htmlFor={`${id}-problem`}>
        <Combobox
          id={`${id}-problem`}
          data-testid={testIds.queryEditor.problem}
          options={loadProblems}
          value={query.problem ?? null}
          onChange={optionChange(query, 'problem', onChange)}
          placeholder="Choose a problem, or $problem"
          isClearable
          createCustomValue
          width={30}
        />
      </InlineField>
      <InlineField label="Entity" labelWidth={LABEL_WIDTH} htmlFor={`${id}-entity`}>
        <Input
          id={`${id}-entity`}
          data-testid={testIds.queryEditor.entity}
          value={query.entity ?? ''}
          onChange={onEntityChange}
          onBlur={runOnBlur}
          placeholder="Every entity, or $entity"
          width={24}
        />
      </InlineField>
      <InlineField label="Show" labelWidth={LABEL_WIDTH}>
        <RadioButtonGroup
          data-testid={testIds.queryEditor.problemView}
          options={PROBLEM_VIEW_OPTIONS}
          value={query.what ?? 'probability'}
          onChange={(what) => onChange({ ...query, what }, true)}
        />
      </InlineField>
    </Stack>
  );
}

/**
 * Filters with `tag` set to `value`, or without it when `value` is empty ("any"); no map at all once the last
 * filter is cleared, the shape `migrateQuery` gives saved queries, so that editing and migrating agree.
 */
function withFilter(
  filters: Record<string, string> | undefined,
  tag: string,
  value: string
): Record<string, string> | undefined {
  const next = Object.fromEntries(Object.entries(filters ?? {}).filter(([name]) => name !== tag));
  if (value) {
    next[tag] = value;
  }
  return Object.keys(next).length > 0 ? next : undefined;
}

/** Keeps refId, datasource and hide; drops filters that belong to the previous type. */
function withQueryType(query: NocaiQuery, queryType: NocaiQueryType): NocaiQuery {
  const { refId, datasource, hide, key } = query;
  const common = { refId, datasource, hide, key };
  if (queryType === 'events') {
    return { ...common, queryType, limit: DEFAULT_EVENTS_LIMIT };
  }
  if (queryType === 'tickets') {
    return { ...common, queryType, limit: DEFAULT_TICKETS_LIMIT };
  }
  if (queryType === 'problems') {
    return { ...common, queryType, what: 'probability' };
  }
  return { ...common, queryType };
}

function capitalize(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}
