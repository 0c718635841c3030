import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { NocaiDataSource } from './datasource';
import type { NocaiOptions, NocaiQuery } from './types';

export const plugin = new DataSourcePlugin<NocaiDataSource, NocaiQuery, NocaiOptions>(NocaiDataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
