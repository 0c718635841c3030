import { useEffect, useState } from 'react';
import { getDataSourceSrv } from '@grafana/runtime';

import { isDepartmentsDataSource } from '../feedbackDatasource';
import type { DepartmentsState } from '../triage/departments';

async function fetchDepartments(datasourceUid: string): Promise<string[]> {
  const datasource = await getDataSourceSrv().get(datasourceUid);
  if (!isDepartmentsDataSource(datasource)) {
    throw new Error(`the data source "${datasource.name}" cannot list departments`);
  }
  return datasource.getDepartments();
}

/**
 * Asks the NOC AI data source for the departments a ticket may be corrected to when the correction opens; an answer
 * that comes after it closed, or for another data source, is dropped.
 */
export function useDepartments(datasourceUid: string): DepartmentsState {
  const [answer, setAnswer] = useState<{ datasourceUid: string; state: DepartmentsState }>();

  useEffect(() => {
    let current = true;
    fetchDepartments(datasourceUid).then(
      (departments) => current && setAnswer({ datasourceUid, state: { kind: 'loaded', departments } }),
      (err: unknown) =>
        current &&
        setAnswer({
          datasourceUid,
          state: { kind: 'failed', message: err instanceof Error ? err.message : String(err) },
        })
    );
    return () => {
      current = false;
    };
  }, [datasourceUid]);

  return answer?.datasourceUid === datasourceUid ? answer.state : { kind: 'loading' };
}
