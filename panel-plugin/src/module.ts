import { PanelPlugin } from '@grafana/data';

import { TriagePanel } from './components/TriagePanel';
import { addTriageOptions } from './options';
import type { TriageOptions } from './types';

export const plugin = new PanelPlugin<TriageOptions>(TriagePanel).setPanelOptions(addTriageOptions);
