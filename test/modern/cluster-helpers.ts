// The cluster layout the cluster tests share: a manager, a logger, a proxy, two workers, a control node.
import type { ClusterLayoutInput } from '../../modern/cluster/layout.ts';

export const LAYOUT: ClusterLayoutInput = {
  nodes: {
    manager: { node_type: 'MANAGER', ip: '127.0.0.1', p: '27761/tcp' },
    'logger-1': { node_type: 'Cluster::LOGGER', ip: '127.0.0.1', p: 27762 },
    'proxy-1': { node_type: 'PROXY', ip: '127.0.0.1', p: 27763, manager: 'manager' },
    'worker-2': { node_type: 'WORKER', ip: '10.0.0.8', manager: 'manager' },
    'worker-1': { node_type: 'worker', ip: '::ffff:10.0.0.7', manager: 'manager' },
    control: { node_type: 'CONTROL', ip: '127.0.0.1' },
  },
  manager_is_logger: false,
};
